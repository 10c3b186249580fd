"""CSV from the web opens right in Excel: a UTF-8 BOM and a download, for every `.csv` answer.

Datasette 0.65 writes CSV without a BOM (Excel then reads the Chinese as GBK mojibake) and
only `?_dl=1` makes it a download. This ASGI middleware adds both to every successful `.csv`
answer of tables, views, canned queries and SQL, streamed or not.
"""
from __future__ import annotations

from urllib.parse import unquote

from archive.datasette.capture import disposition

BOM = "\ufeff".encode()


def wrap(app):
    async def with_bom(scope, receive, send):
        if scope["type"] != "http" or not scope.get("path", "").endswith(".csv"):
            return await app(scope, receive, send)
        state = {"csv": False, "first": True}

        async def send_csv(event):
            if event["type"] == "http.response.start":
                headers = list(event.get("headers", []))
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                state["csv"] = event.get("status") == 200 and (
                    ctype.startswith(b"text/csv") or ctype.startswith(b"text/plain"))
                if state["csv"]:
                    name = unquote(scope["path"].rsplit("/", 1)[-1])
                    kept = []
                    for k, v in headers:
                        lk = k.lower()
                        if lk in (b"content-disposition", b"content-type"):
                            continue
                        if lk == b"content-length":
                            v = str(int(v) + len(BOM)).encode()
                        kept.append((k, v))
                    kept += [(b"content-type", b"text/csv; charset=utf-8"),
                             (b"content-disposition", disposition("attachment", "", name).encode())]
                    event = {**event, "headers": kept}
            elif event["type"] == "http.response.body" and state["csv"] and state["first"]:
                state["first"] = False
                event = {**event, "body": BOM + event.get("body", b"")}
            await send(event)

        await app(scope, receive, send_csv)

    return with_bom
