import gzip

from archive.warc import WarcStore, read_record, sha256


def test_response_record_roundtrip_by_offset(tmp_path):
    store = WarcStore(tmp_path)
    bodies = [b"<html>first</html>", "第二个页面".encode("gb18030"), b"%PDF-1.4 ..."]
    refs = [store.write_response(f"http://a.test/{i}", 200, "OK", [("Content-Type", "text/html")],
                                 body, request_headers=[("User-Agent", "t")])
            for i, body in enumerate(bodies)]
    store.close()
    # Read back in reverse order: each record is addressable on its own.
    for ref, body in reversed(list(zip(refs, bodies))):
        rec = read_record(tmp_path, ref.file, ref.offset, ref.length)
        assert rec.body == body
        assert sha256(rec.body) == sha256(body)
        assert rec.status == 200 and rec.record_type == "response"
    assert refs[0].offset < refs[1].offset < refs[2].offset
    # A standard reader sees a valid gzip WARC stream.
    raw = gzip.open(tmp_path / refs[0].file).read()
    assert raw.startswith(b"WARC/1") and raw.count(b"WARC-Type: response") == 3


def test_rendered_dom_is_a_resource_record(tmp_path):
    store = WarcStore(tmp_path)
    ref = store.write_resource("http://a.test/list", b"<html>rendered</html>", "text/html")
    store.close()
    rec = read_record(tmp_path, ref.file, ref.offset, ref.length)
    assert rec.record_type == "resource" and rec.status is None
    assert rec.body == b"<html>rendered</html>"
