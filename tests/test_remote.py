"""Workers on other machines, one writer: a real redis-server, the farm, `nianbao ingest` writing
the archive and two `nianbao crawl --redis URL --worker --remote` workers, each in its own empty
directory with no access to the archive.

The archive they make must equal (reports, cells, checks, attachments, figures; WARC payloads) the
archive of a single-process crawl of the same farm sources. A worker killed with SIGKILL mid-run
makes that run fall short (exit 3), and a second run then gives the same archive: nothing that was
fetched is lost, nothing is doubled.
"""
from __future__ import annotations

import glob
import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc import sha256
from crawler.distributed.protocol import Keys
from crawler.distributed.stream import GROUP
from farm import Farm
from tests.crawl_helpers import FAST, NIANBAO, ROOT, crawl, q, write_registry

sys.path.insert(0, str(ROOT / "bench"))
import compare_archives  # noqa: E402

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("redis-server") is None,
                                 reason="redis-server is not installed (make setup installs the Debian package)")]

SOURCES = ("farm-trs", "farm-yl", "farm-hw-county")
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
# A small stream bound, so back-pressure is exercised in the run, not only in a unit test.
STREAM = ["-s", "NIANBAO_STREAM_MAX_MESSAGES=25"]
# A run of these three sources takes well under a minute; a run still going after this hangs.
RUN_TIMEOUT_S = 300
KEYS = Keys()   # the runs use the default prefix


class StreamWatch(threading.Thread):
    """Samples the stream's length while a run goes on (the bound must hold)."""

    def __init__(self, url):
        super().__init__(daemon=True)
        import redis
        self.client = redis.Redis.from_url(url)
        self.peak = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            pipe = self.client.pipeline(transaction=True)
            pipe.xlen(KEYS.stream)
            pipe.hget(KEYS.stream_parked, "n")
            n, parked = pipe.execute()
            # entries the writer holds back for their page are outside the bound (stream.py)
            self.peak = max(self.peak, n - int(parked or 0))
            time.sleep(0.02)


def remote_run(db: Path, registry: Path, redis_url: str, tmp: Path, name: str, kill_after: int | None = None,
               workers: int = 2, kill_writer_after: int | None = None) -> dict:
    """`nianbao ingest` into `db` and `workers` remote workers in directories of their own;
    with `kill_after`, worker 0 is SIGKILLed once the archive holds that many report versions;
    with `kill_writer_after`, the writer is, and a new `nianbao ingest` is started in its place."""
    import redis
    client = redis.Redis.from_url(redis_url)

    def start_ingest():
        return subprocess.Popen(NIANBAO + ["ingest", "--redis", redis_url, "--db", str(db), "--registry",
                                           str(registry), "--wait", "120", "--log-level", "WARNING"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    ingest = start_ingest()
    for _ in range(300):
        if client.exists(KEYS.run):
            break
        assert ingest.poll() is None, ingest.communicate()
        time.sleep(0.1)
    watch = StreamWatch(redis_url)
    watch.start()
    dirs, procs = [], []
    for i in range(workers):
        d = tmp / f"{name}-worker{i}"
        d.mkdir()
        dirs.append(d)
        procs.append(subprocess.Popen(NIANBAO + ["crawl", "--redis", redis_url, "--worker", "--remote",
                                                 "--log-level", "WARNING", *FAST, *STREAM],
                                      cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV))
    killed = None
    if kill_writer_after is not None:
        while q(db, "SELECT COUNT(*) FROM report_versions")[0][0] < kill_writer_after:
            assert ingest.poll() is None, ingest.communicate()
            time.sleep(0.05)
        os.kill(ingest.pid, signal.SIGKILL)
        ingest.communicate()
        killed = ingest.pid
        time.sleep(1)   # the workers go on, up to the stream's bound
        ingest = start_ingest()
    if kill_after is not None:
        while q(db, "SELECT COUNT(*) FROM report_versions")[0][0] < kill_after:
            assert procs[0].poll() is None, "the worker ended before it could be killed"
            time.sleep(0.05)
        os.kill(procs[0].pid, signal.SIGKILL)
        killed = procs[0].pid
    try:
        outs = [p.communicate(timeout=RUN_TIMEOUT_S) for p in procs]
        out, err = ingest.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(_diagnose(redis_url, ingest, procs))
    watch.stop.set()
    watch.join()
    return {"code": ingest.returncode, "stdout": out, "stderr": err, "dirs": dirs, "killed": killed,
            "worker_codes": [p.returncode for p in procs], "worker_err": [e for _, e in outs],
            "peak": watch.peak, "leftover": client.keys(f"{KEYS.prefix}:*")}


def _diagnose(redis_url: str, ingest, workers) -> str:
    """What a hung run looks like: Redis as it answers now (or not), its log, where each process
    stands (py-spy, when installed) and what each printed; then the processes are killed."""
    import redis
    lines = []
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    for name, call in (("ping", client.ping), ("xlen", lambda: client.xlen(KEYS.stream)),
                       ("xpending", lambda: client.xpending(KEYS.stream, GROUP)),
                       ("keys", lambda: sorted(client.keys(f"{KEYS.prefix}:*"))), ("clients", client.client_list),
                       ("slowlog", lambda: client.slowlog_get(10)), ("info", lambda: client.info("all"))):
        try:
            lines.append(f"redis {name}: {call()!r}"[:4000])
        except Exception as e:  # noqa: BLE001 - a diagnosis reports what fails too
            lines.append(f"redis {name}: {e!r}")
    for log in glob.glob(str(Path(client.config_get("dir").get("dir", "/nonexistent")) / "redis.log")
                         if lines[0].startswith("redis ping: True") else []):
        lines.append("redis.log tail:\n" + "\n".join(Path(log).read_text(errors="replace").splitlines()[-60:]))
    spy = Path(sys.executable).parent / "py-spy"
    procs = [("ingest", ingest)] + [(f"worker{i}", p) for i, p in enumerate(workers)]
    for name, p in procs:
        if spy.exists() and p.poll() is None:
            dump = subprocess.run([str(spy), "dump", "--pid", str(p.pid), "--subprocesses"],
                                  capture_output=True, text=True, timeout=60)
            lines.append(f"py-spy {name}:\n{dump.stdout[-6000:]}{dump.stderr[-500:]}")
    for name, p in procs:
        p.kill()
        out, err = p.communicate()
        lines.append(f"{name} exit {p.returncode}; stdout tail:\n{(out or '')[-1500:]}\nstderr tail:\n{(err or '')[-3000:]}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def runs(redis_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("remote")
    with Farm(port=0) as farm:
        sources = [s for s in farm.sources() if s["id"] in SOURCES]
        assert len(sources) == len(SOURCES)
        registry = write_registry(tmp / "farm.yml", sources)
        reference = tmp / "single" / "archive.db"
        reference.parent.mkdir()
        crawl(reference, registry)
        remote = tmp / "remote" / "archive.db"
        remote.parent.mkdir()
        first = remote_run(remote, registry, redis_url, tmp, "a")
        killed = tmp / "killed" / "archive.db"
        killed.parent.mkdir()
        n = q(reference, "SELECT COUNT(*) FROM report_versions")[0][0]
        cut = remote_run(killed, registry, redis_url, tmp, "b", kill_after=n // 3)
        after_cut = {t: q(killed, f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("reports", "report_versions")}
        rerun = remote_run(killed, registry, redis_url, tmp, "c")
        writer_killed = tmp / "writer-killed" / "archive.db"
        writer_killed.parent.mkdir()
        taken_over = remote_run(writer_killed, registry, redis_url, tmp, "d", kill_writer_after=n // 3)
        yield {"writer_killed": writer_killed, "taken_over": taken_over, "reference": reference, "remote": remote, "first": first, "killed": killed, "cut": cut,
               "rerun": rerun, "after_cut": after_cut, "versions": n}


def _payloads(db: Path) -> set[tuple]:
    """(record type, HTTP status, payload sha256) of every record in the archive's WARC files."""
    out = set()
    for path in glob.glob(str(db.parent / "warc" / "*.warc.gz")):
        with open(path, "rb") as fh:
            try:
                for rec in ArchiveIterator(io.BytesIO(fh.read())):
                    if rec.rec_type in ("response", "resource"):
                        status = rec.http_headers.get_statuscode() \
                            if rec.http_headers and rec.rec_type == "response" else None
                        out.add((rec.rec_type, status, sha256(rec.content_stream().read())))
            except Exception:   # noqa: BLE001 - the tail a killed writer left half-written; its row never was
                pass
    return out


# X-COPY-OTHER judges boilerplate by how many agencies print a paragraph among the reports indexed
# so far: derived batch by batch in arrival order, its stored verdicts depend on that order (two
# single-process crawls can differ too). It is compared after both archives are derived afresh.
ORDER_DEPENDENT = {"X-COPY-OTHER"}


def _differ(reference: Path, other: Path) -> tuple[dict, dict]:
    """Tables that differ (compare_archives), current checks compared without ORDER_DEPENDENT ones."""
    import sqlite3
    from collections import Counter
    res = compare_archives.compare(str(reference), str(other), samples=3)
    out = {n: {k: r[k] for k in ("old", "new", "only_in_old", "only_in_new", "samples_old", "samples_new")}
           for n, r in res.items() if n not in ("checks", "checks_all") and (r["only_in_old"] or r["only_in_new"])}
    where = "WHERE is_current = 1 AND check_id NOT IN ({})".format(",".join(f"'{c}'" for c in ORDER_DEPENDENT))
    a, b = (Counter(compare_archives._rows(sqlite3.connect(f"file:{p}?mode=ro", uri=True), "checks", where))
            for p in (reference, other))
    if a != b:
        out["checks"] = {"only_in_old": [dict(r) for r in list(a - b)[:3]],
                         "only_in_new": [dict(r) for r in list(b - a)[:3]]}
    return out, res


def _rederived(db: Path, to: Path) -> Path:
    """A copy of the archive with every report's checks derived afresh (archive/derive.py)."""
    import sqlite3

    from archive import derive
    to.parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(db), sqlite3.connect(to)
    src.backup(dst)
    src.close()
    ids = [r for (r,) in dst.execute("SELECT id FROM reports")]
    with dst:
        derive.enqueue(dst, ids)
    derive.drain(dst)
    dst.close()
    return to


def assert_same_archive(reference: Path, other: Path) -> None:
    differ, res = _differ(reference, other)
    assert differ == {}
    assert res["reports"]["equal"] > 100 and res["cells"]["equal"] > 1000 and res["checks"]["equal"] > 100
    assert res["attachments"]["equal"] >= 10
    # every check, X-COPY-OTHER included, once both are derived from their rows alone
    fresh = compare_archives.compare(str(_rederived(reference, other.parent / "rederived" / "ref.db")),
                                     str(_rederived(other, other.parent / "rederived" / "other.db")), samples=2)
    assert {n: r for n, r in fresh.items() if n != "checks_all" and (r["only_in_old"] or r["only_in_new"])} == {}
    ref, got = _payloads(reference), _payloads(other)
    assert len(ref) > 150
    assert got == ref


def test_two_remote_workers_and_one_writer_equal_a_single_crawl(runs):
    first = runs["first"]
    assert first["code"] == 0, first["stderr"][-3000:]
    assert first["worker_codes"] == [0, 0], first["worker_err"]
    assert_same_archive(runs["reference"], runs["remote"])


def test_remote_workers_share_nothing_on_disk_and_both_worked(runs):
    first, db = runs["first"], runs["remote"]
    for d in first["dirs"]:
        assert list(d.iterdir()) == [], d          # no archive, no WARC, no registry: nothing written here
    (run_id, status), = q(db, "SELECT id, status FROM crawl_runs")
    assert status == "finished"
    workers = q(db, "SELECT worker, status, stats FROM crawl_workers WHERE run_id = ?", [run_id])
    assert len(workers) == 2 and {w[1] for w in workers} == {"finished"}
    import json
    for worker, _, stats in workers:
        stats = json.loads(stats)
        assert stats["nianbao/report_versions_new"] > 10, worker    # counted by the writer
        assert stats["nianbao/stream_sent"] > 50, worker
    # the archive's WARC files are the writer's: one file, every capture's bytes in it
    assert len(set(r for (r,) in q(db, "SELECT DISTINCT warc_file FROM captures WHERE warc_file IS NOT NULL"))) == 1
    assert first["leftover"] == []                 # stream, blobs, state: all cleared


def test_stream_stayed_within_its_bound(runs):
    for r in (runs["first"], runs["cut"], runs["rerun"], runs["taken_over"]):
        # 25 entries, plus at most one per worker adding at the same instant
        assert 0 < r["peak"] <= 25 + 2


def test_killed_worker_loses_nothing_after_a_rerun(runs):
    cut, rerun = runs["cut"], runs["rerun"]
    assert cut["killed"] and cut["worker_codes"][0] == -signal.SIGKILL
    assert cut["code"] == 3, cut["stdout"][-2000:] + cut["stderr"][-2000:]     # the run did not finish
    assert "worker failed" in cut["stdout"]
    # the cut run kept what was sent before the kill, and was short of the whole
    assert runs["versions"] // 3 <= runs["after_cut"]["report_versions"] < runs["versions"]
    assert rerun["code"] == 0, rerun["stderr"][-3000:]
    assert_same_archive(runs["reference"], runs["killed"])
    runs_ = q(runs["killed"], "SELECT status FROM crawl_runs ORDER BY id")
    assert [s for (s,) in runs_] == ["aborted", "finished"]


def test_a_killed_writer_is_taken_over_and_nothing_is_lost(runs):
    """The writer SIGKILLed mid-run: its unacknowledged entries stay in the stream, the workers
    wait at the bound, and a new `nianbao ingest` takes the run over and finishes it."""
    r = runs["taken_over"]
    assert r["killed"]
    assert r["code"] == 0, r["stdout"][-2000:] + r["stderr"][-2000:]
    assert "taking over distributed run" in r["stderr"]
    assert r["worker_codes"] == [0, 0]
    assert [s for (s,) in q(runs["writer_killed"], "SELECT status FROM crawl_runs")] == ["finished"]
    assert_same_archive(runs["reference"], runs["writer_killed"])


def test_back_pressure_blocks_until_the_writer_reads(redis_url):
    """A sender with room for 3 entries waits on the 4th until the reader acknowledges one."""
    import redis

    from crawler.distributed.protocol import Keys
    from crawler.distributed.stream import Reader, Sender
    client = redis.Redis.from_url(redis_url)
    keys = Keys("bp-test")
    for k in keys.all(client):
        client.delete(k)
    reader = Reader(client, keys)
    beats = []
    sender = Sender(client, keys, "w1", max_messages=3, max_bytes=10 ** 9, on_wait=lambda: beats.append(1))
    big = os.urandom(600 * 1024)            # stored as a blob key, read back in pieces
    sender.send("capture", {"n": 0}, big)
    for i in range(1, 3):
        sender.send("capture", {"n": i}, b"x" * i)
    done = threading.Event()
    t = threading.Thread(target=lambda: (sender.send("capture", {"n": 3}, b"last"), done.set()), daemon=True)
    t.start()
    time.sleep(0.6)
    assert not done.is_set() and beats          # waiting, and beating while it waits
    assert client.xlen(keys.stream) == 3
    msgs = reader.read(count=1)
    assert reader.body(msgs[0]) == big and msgs[0].blob
    reader.ack(msgs)
    t.join(timeout=5)
    assert done.is_set()
    rest = reader.read(count=10)
    assert [m.meta["n"] for m in rest] == [1, 2, 3] and reader.body(rest[-1]) == b"last"
    reader.ack(rest)
    assert client.xlen(keys.stream) == 0 and int(client.get(keys.stream_bytes)) == 0
    assert client.keys("bp-test:blob:*") == []
    for k in keys.all(client):
        client.delete(k)


def test_entries_the_writer_holds_back_leave_room_for_the_rest(redis_url):
    """Attachments parked until their page comes must not fill the bound: the page's worker would
    wait for room forever and the writer for the page (a hang, not a slow run)."""
    import redis

    from crawler.distributed.protocol import Keys
    from crawler.distributed.stream import Reader, Sender
    client = redis.Redis.from_url(redis_url)
    keys = Keys("park-test")
    reader = Reader(client, keys)
    waiting = Sender(client, keys, "w1", max_messages=3, max_bytes=10 ** 9)
    for i in range(3):
        waiting.send("attachment", {"n": i}, b"pdf")
    parked = reader.read(count=10)
    for m in parked:
        reader.park(m)
    reader.park(parked[0])                       # twice is once
    page = Sender(client, keys, "w2", max_messages=3, max_bytes=10 ** 9)
    t = threading.Thread(target=lambda: page.send("report", {"url": "p"}), daemon=True)
    t.start()
    t.join(timeout=5)
    assert not t.is_alive() and page.waits == 0  # room, though the stream holds 3 entries
    assert client.xlen(keys.stream) == 4
    got = reader.read(count=10)
    reader.ack(got + parked)                     # the page came: the held-back ones are written too
    assert client.xlen(keys.stream) == 0 and int(client.get(keys.stream_bytes)) == 0
    assert {k: int(v) for k, v in client.hgetall(keys.stream_parked).items()} == {b"n": 0, b"bytes": 0}
    # a new writer reads every pending entry again and counts what it holds back afresh
    for i in range(2):
        waiting.send("attachment", {"n": i}, b"pdf")
    for m in reader.read(count=10):
        reader.park(m)
    again = Reader(client, keys)
    assert client.hgetall(keys.stream_parked) == {}
    assert [m.meta["n"] for m in again.read(count=10)] == [0, 1]
    for k in keys.all(client):
        client.delete(k)


def test_a_new_writer_reads_what_it_holds_back_once_and_then_what_is_new(redis_url):
    """Taken over, the writer reads an attachment the dead writer held back; its page is not
    written yet, so it holds it back again: the next read gives what is new (the page), not the
    same entry again (that loop hung the run, with every new entry unread)."""
    import redis

    from crawler.distributed.protocol import Keys
    from crawler.distributed.stream import Reader, Sender
    client = redis.Redis.from_url(redis_url)
    keys = Keys("takeover-test")
    sender = Sender(client, keys, "w1")
    sender.send("attachment", {"n": 0})
    dead = Reader(client, keys)
    dead.park(dead.read(count=10)[0])            # held back, then the writer dies
    sender.send("report", {"n": 1})
    new = Reader(client, keys)
    first = new.read(count=10)
    assert [m.meta["n"] for m in first] == [0] and first[0].redelivered
    new.park(first[0])
    nxt = new.read(count=10, block_ms=100)
    assert [m.meta["n"] for m in nxt] == [1]
    new.ack(nxt + first)
    assert client.xlen(keys.stream) == 0 and new.read(count=10, block_ms=100) == []
    for k in keys.all(client):
        client.delete(k)


def test_a_writer_that_dies_rereads_what_it_did_not_acknowledge(redis_url):
    import redis

    from crawler.distributed.protocol import Keys
    from crawler.distributed.stream import Reader, Sender
    client = redis.Redis.from_url(redis_url)
    keys = Keys("redeliver-test")
    sender = Sender(client, keys, "w1")
    for i in range(5):
        sender.send("skip", {"n": i})
    first = Reader(client, keys)
    got = first.read(count=3)
    first.ack(got[:1])                           # then the writer "dies"
    second = Reader(client, keys)
    again = second.read(count=10)
    assert [m.meta["n"] for m in again] == [1, 2] and all(m.redelivered for m in again)
    second.ack(again)
    fresh = second.read(count=10)
    assert [m.meta["n"] for m in fresh] == [3, 4] and not any(m.redelivered for m in fresh)
    second.ack(fresh)
    for k in keys.all(client):
        client.delete(k)


def test_remote_needs_a_worker(tmp_path):
    proc = subprocess.run(NIANBAO + ["crawl", "--remote", "--db", str(tmp_path / "a.db")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--remote goes with --redis URL --worker" in proc.stderr
