"""图解 images: real PNG bytes from a tiny PNG writer (zlib), no imaging library needed.

The picture is a poster-like bar chart of the report's main numbers, so two reports never
share an image and the bytes are deterministic.
"""
from __future__ import annotations

import random
import struct
import zlib


def png(width: int, height: int, pixels: bytearray) -> bytes:
    """RGB pixels (row-major, 3 bytes each) -> PNG file bytes."""
    raw = b"".join(b"\x00" + bytes(pixels[y * width * 3:(y + 1) * width * 3])
                   for y in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def bar_chart(values: list[float], r: random.Random, width: int = 480,
              height: int = 320) -> bytes:
    bg = (250, 240, 225) if r.random() < 0.5 else (235, 244, 252)
    bar = (196, 30, 58) if r.random() < 0.5 else (24, 92, 170)
    px = bytearray(bg * (width * height))
    # title band
    for y in range(0, 40):
        for x in range(width):
            px[(y * width + x) * 3:(y * width + x) * 3 + 3] = bytes(bar)
    top = max(values) if values and max(values) > 0 else 1
    n = max(1, len(values))
    slot = (width - 40) // n
    for i, v in enumerate(values):
        h = int((height - 80) * (v / top)) if v > 0 else 2
        x0 = 20 + i * slot + slot // 6
        x1 = 20 + (i + 1) * slot - slot // 6
        for y in range(height - 20 - h, height - 20):
            for x in range(x0, x1):
                px[(y * width + x) * 3:(y * width + x) * 3 + 3] = bytes(bar)
    return png(width, height, px)


def report_images(spec, tv, r: random.Random) -> list[tuple[str, bytes]]:
    t3 = tv.t3
    rows = ("new_received", "carried_over", "granted", "partially_granted", "total_processed",
            "carried_forward")
    values = [float(t3.get((row, "total"), 0)) for row in rows]
    t2_vals = [float(v[0] if isinstance(v, tuple) else v) for v in tv.t2.values()]
    base = f"tujie_{spec.year}_{r.randrange(16**8):08x}"
    out = [(f"{base}_1.png", bar_chart(values, r))]
    if t2_vals and r.random() < 0.6:
        out.append((f"{base}_2.png", bar_chart(t2_vals[:8], r)))
    return out
