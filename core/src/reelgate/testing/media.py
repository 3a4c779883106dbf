"""Tiny media made at run time, with the standard library only."""

from __future__ import annotations

import struct
import zlib


def make_png(width: int = 64, height: int = 48, rgb: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    """A valid RGB PNG of one colour with a diagonal stripe, so it is not uniform."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows += bytes((255, 255, 255)) if abs(x - y) < 3 else bytes(rgb)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows)))
        + chunk(b"IEND", b"")
    )


def minimal_mp4(payload: bytes = b"") -> bytes:
    """An ISO-BMFF file with an ``ftyp`` box and an ``mdat`` box holding ``payload``.
    Recognised as MP4 by its signature; it has no playable track."""
    ftyp = b"ftyp" + b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41"
    mdat = b"mdat" + payload
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", len(mdat) + 4) + mdat
