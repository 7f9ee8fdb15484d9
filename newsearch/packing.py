"""A long text kept compressed: engines store a long body deflated, packed and unpacked a piece at a time.

Stored whole, as engines store short ones, a 200 MB body is copied two or three times over on
its way (pickled or put in JSON, then encoded, then compressed by the engine's own store); packed
here it costs its deflated size (about a third) beside itself, and unpacking costs the text and
its pieces.
"""

from __future__ import annotations

import codecs
import zlib

LONG_CHARS = 1 << 20  # a longer text is stored packed
LEVEL = 1  # deflate level: fast, and news text still shrinks about threefold
PIECE = 1 << 20  # characters packed, or bytes unpacked, at a time


def is_long(text: str) -> bool:
    """True for a text engines store packed."""
    return len(text) > LONG_CHARS


def pack(text: str) -> bytes:
    """``text`` as UTF-8 (lone surrogates kept), deflated a piece at a time."""
    packer = zlib.compressobj(LEVEL)
    parts = [packer.compress(text[start:start + PIECE].encode("utf-8", "surrogatepass"))
             for start in range(0, len(text), PIECE)]
    parts.append(packer.flush())
    return b"".join(parts)


def unpack(data: bytes | memoryview) -> str:
    """The text ``pack`` packed, inflated and decoded a piece at a time."""
    unpacker = zlib.decompressobj()
    decoder = codecs.getincrementaldecoder("utf-8")("surrogatepass")
    packed = memoryview(data)
    parts = [decoder.decode(unpacker.decompress(packed[start:start + PIECE]))
             for start in range(0, len(packed), PIECE)]
    parts.append(decoder.decode(unpacker.flush(), final=True))
    return "".join(parts)
