"""Bytes → text, and text → a form good for matching.

Order of trust: BOM, then valid UTF-8 (a strong signal: GBK bytes are almost never valid
UTF-8), then the charset from the HTTP header or the page's meta, then GB18030 (a superset of
GB2312/GBK). A declared iso-8859-1/ascii on a page with high bytes is ignored (it makes mojibake).
`for_matching` maps Traditional to Simplified (OpenCC t2s), strips reading-aid pinyin noise
("報(bào)告") and full-width forms, while the raw text keeps the original.
"""
from __future__ import annotations

import codecs
import re
import unicodedata
from functools import lru_cache

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_HDR_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.I)
_LATIN = {"iso-8859-1", "latin-1", "latin1", "ascii", "us-ascii", "windows-1252", "cp1252", "iso8859-1"}
_GB = {"gb2312", "gbk", "gb18030", "gb_2312-80", "x-gbk", "cp936", "euc-cn", "hz-gb-2312"}


def _norm_charset(name: str | None) -> str | None:
    if not name:
        return None
    n = name.strip().lower()
    if n in _GB:
        return "gb18030"
    if n in ("utf8", "utf-8", "unicode-1-1-utf-8"):
        return "utf-8"
    if n in ("big5", "big5-hkscs", "cp950"):
        return "big5"
    try:
        return codecs.lookup(n).name
    except LookupError:
        return None


def header_charset(headers: dict | None) -> str | None:
    if not headers:
        return None
    for k, v in headers.items():
        k = k.decode("latin-1") if isinstance(k, bytes) else str(k)
        if k.lower() == "content-type":
            if isinstance(v, (list, tuple)):
                v = v[0] if v else ""
            v = v.decode("latin-1") if isinstance(v, bytes) else str(v)
            m = _HDR_CHARSET.search(v)
            return m.group(1) if m else None
    return None


def decode_bytes(data: bytes, headers: dict | None = None) -> tuple[str, str]:
    """Return (text, encoding used). Never raises."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace"), "utf-16"
    has_high = any(b > 0x7F for b in data[:200000])
    if not has_high:
        return data.decode("ascii", "replace"), "ascii"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        # A page truncated mid-character is still UTF-8.
        if e.start >= len(data) - 3:
            return data.decode("utf-8", "replace"), "utf-8"
    declared = [_norm_charset(header_charset(headers))]
    m = _META_CHARSET.search(data[:4096])
    declared.append(_norm_charset(m.group(1).decode("ascii", "replace")) if m else None)
    for cs in declared:
        if not cs or cs in _LATIN or cs == "utf-8":
            continue
        try:
            return data.decode(cs), cs
        except (UnicodeDecodeError, LookupError):
            continue
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    # Mostly-UTF-8 with a few bad bytes vs mostly-GB: keep whichever has fewer replacements.
    u = data.decode("utf-8", "replace")
    g = data.decode("gb18030", "replace")
    return (u, "utf-8") if u.count("\ufffd") <= g.count("\ufffd") else (g, "gb18030")


# Reading-aid pinyin after a character: 報(bào)告, 頁(yè). Needs one tone-marked vowel so that
# ordinary "(a)" or "(PDF)" stays.
_TONE = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_PINYIN_NOISE = re.compile(
    r"(?<=[\u3400-\u9fff])[(（]([a-zü" + _TONE + r"]*[" + _TONE + r"][a-zü" + _TONE + r"]*)[)）]")


def strip_pinyin_noise(s: str) -> str:
    return _PINYIN_NOISE.sub("", s)


@lru_cache(maxsize=1)
def _t2s():
    try:
        import opencc
        return opencc.OpenCC("t2s")
    except Exception:  # noqa: BLE001 - without OpenCC we still match Simplified pages
        return None


def to_simplified(s: str) -> str:
    if not s or s.isascii():
        return s
    cc = _t2s()
    return cc.convert(s) if cc else s


@lru_cache(maxsize=65536)
def _for_matching_cached(s: str) -> str:
    return _for_matching(s)


def for_matching(s: str) -> str:
    if s and len(s) <= 200:
        return _for_matching_cached(s)
    return _for_matching(s or "")


def _for_matching(s: str) -> str:
    """Text for label/heading matching: pinyin noise stripped, Simplified, NFKC (full-width
    digits and brackets to ASCII), U+3000/U+00A0 to plain spaces."""
    s = strip_pinyin_noise(s or "")
    s = to_simplified(s)
    s = unicodedata.normalize("NFKC", s)
    return s.replace("\u3000", " ").replace("\xa0", " ")
