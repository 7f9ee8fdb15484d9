"""The bytes of article files as bounded reads: numbered JSON Lines lines, whole small files, gzip with bomb caps.

Every limit here holds whatever a file holds, so one hostile or damaged file costs
bounded memory and time: a line longer than MAX_LINE_BYTES is skipped (its number
given with ``None``) without being kept, runs of blank lines are passed over at C
speed, and a gzip stream that expands more than MAX_RATIO times (past the first
RATIO_GRACE_BYTES) or past MAX_EXPANDED_BYTES stops with a ReadError, as damaged
compressed data does (zlib's own errors become ReadErrors naming the file).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from ..errors import ReadError

# One JSON Lines record: an article of up to 224 MB of text is indexed by the whoosh engine in under 1 GB
# (a 200 MB one peaked at 806 MB: benchmarks/file_memory.py --huge); a longer line is never held whole.
MAX_LINE_BYTES = 224 * 1024 * 1024
MAX_RATIO = 100  # decompressed bytes per compressed byte: news text compresses 3 to 10 times
RATIO_GRACE_BYTES = 64 * 1024 * 1024  # the ratio is checked once this much is decompressed
MAX_EXPANDED_BYTES = 16 * 1024 ** 3  # what one gzip file may decompress to, whatever its size
READ_BYTES = 1 << 20
_INPUT_BYTES = 1 << 14  # compressed bytes inflated at a time
_SALVAGE_BYTES = 64  # after damage, the last input again this many bytes at a time
_GZIP_WBITS = zlib.MAX_WBITS | 16  # a gzip header and trailer (whose CRC zlib checks)
_BLANK_RUN = re.compile(rb"[ \t\r\n]*\n")  # one character class: matched at C speed


def is_gzip(path: str | Path) -> bool:
    """True for a name ending in .gz (any case)."""
    return str(path).lower().endswith(".gz")


class Source:
    """A file's bytes as read, plain or gunzipped, capped (see the module), and closed with ``with``.

    Gzip data is inflated here, a little input at a time, so that the data before damage
    in the middle of a file is given, as the data before a truncation is.
    """

    def __init__(self, path: Path, shown: str):
        self.shown = shown
        self._file = open(path, "rb")  # noqa: SIM115 -- kept open for reading in parts; close() closes it
        self._inflater = zlib.decompressobj(_GZIP_WBITS) if is_gzip(path) else None
        self._input = b""  # compressed bytes read but not yet inflated (another gzip member's start)
        self._failure: ReadError | None = None  # met while inflating; raised once the data before it is given
        self.expanded = 0

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc_info) -> None:
        self._file.close()

    def read(self, size: int = READ_BYTES) -> bytes:
        """Up to ``size`` bytes (a little more after damage); b"" at the end. Damaged or bomb-like gzip
        data raises ReadError once the bytes before it are given."""
        if self._inflater is None:
            return self._file.read(size)
        data = self._inflate(size)
        if not data and self._failure is not None:
            raise self._failure
        self.expanded += len(data)
        if self.expanded > MAX_EXPANDED_BYTES:
            raise ReadError(self.shown, f"decompresses to more than {MAX_EXPANDED_BYTES // 1024 ** 3} GB; "
                                        "not read further")
        if self.expanded > RATIO_GRACE_BYTES and self.expanded > MAX_RATIO * max(self._file.tell(), 1):
            raise ReadError(self.shown, f"decompresses to more than {MAX_RATIO} times its size "
                                        "(a decompression bomb?); not read further")
        return data

    def whole(self, limit: int) -> bytes:
        """Every byte, or ReadError when there are more than ``limit``."""
        parts, size = [], 0
        # the size read so far, as it grows: each read asks for no more than the limit leaves
        for part in iter(lambda: self.read(min(READ_BYTES, limit + 1 - size)), b""):  # noqa: B023
            parts.append(part)
            size += len(part)
            if size > limit:
                kind = "decompresses to more" if self._inflater is not None else "is larger"
                raise ReadError(self.shown, f"{kind} than {limit // 2 ** 20} MB; not read")
        return b"".join(parts)

    def _inflate(self, size: int) -> bytes:
        """Up to ``size`` inflated bytes; at damage, what came before it (the failure kept for later)."""
        if self._inflater is None:  # never here: read() reads a plain file itself
            return b""
        parts: list[bytes] = []
        wanted = size
        while wanted > 0 and self._failure is None:
            data = self._inflater.unconsumed_tail or self._input or self._file.read(_INPUT_BYTES)
            self._input = b""
            if not data:
                if not self._inflater.eof and self._file.tell() > 0:
                    self._failure = ReadError(self.shown,
                                              "the gzip data ends early (a truncated file); not read further")
                break
            before = self._inflater.copy()
            try:
                part = self._inflater.decompress(data, wanted)
            except zlib.error as error:
                part = self._salvage(before, data)
                given = self.expanded + size - wanted + len(part)
                self._failure = ReadError(self.shown, f"damaged gzip data after {given:,} bytes ({error}); "
                                                      "not read further")
            parts.append(part)
            wanted -= len(part)
            if self._inflater.eof:  # a gzip file may hold several members one after another
                self._input = self._inflater.unused_data.lstrip(b"\0")
                if not self._input and not self._inflater.unconsumed_tail:
                    self._input = self._file.read(_INPUT_BYTES).lstrip(b"\0")
                if not self._input:
                    break
                self._inflater = zlib.decompressobj(_GZIP_WBITS)
        return b"".join(parts)

    @staticmethod
    def _salvage(inflater, data: bytes) -> bytes:
        """What ``inflater`` gives of ``data`` before the damage in it, fed a few bytes at a time."""
        parts = []
        for start in range(0, len(data), _SALVAGE_BYTES):
            before = inflater.copy()
            try:
                parts.append(inflater.decompress(data[start:start + _SALVAGE_BYTES]))
            except zlib.error:
                for byte in range(start, min(start + _SALVAGE_BYTES, len(data))):  # the last few, one by one
                    try:
                        parts.append(before.decompress(data[byte:byte + 1]))
                    except zlib.error:
                        break
                break
        return b"".join(parts)


def numbered_lines(source: Source, limit: int | None = None) -> Iterator[tuple[int, bytes | None]]:
    """(line number from 1, line without its newline) for each line holding more than blanks;
    ``None`` in place of a line longer than ``limit`` bytes (MAX_LINE_BYTES), which is never held whole.
    A long line is handed over, not kept here while the reader works on it."""
    limit = MAX_LINE_BYTES if limit is None else limit
    number = 1
    pending = bytearray()  # the start of the current line, from earlier reads
    too_long = False
    for chunk in iter(source.read, b""):
        start = 0
        if not pending and not too_long:
            start, number = _skip_blanks(chunk, 0, number)
        while start < len(chunk):
            end = chunk.find(b"\n", start)
            if end < 0:
                if not too_long:
                    pending += memoryview(chunk)[start:]
                    if len(pending) > limit:
                        too_long = True
                        pending = bytearray()
                break
            if too_long:
                yield number, None
                too_long = False
            else:
                if pending:
                    pending += memoryview(chunk)[start:end]
                    whole = [bytes(pending)]  # popped as it is yielded: this frame keeps no reference
                    pending = bytearray()
                    if len(whole[0]) > limit:
                        yield number, None
                    elif whole[0].strip():
                        yield number, whole.pop()
                else:
                    line = chunk[start:end]
                    if len(line) > limit:
                        yield number, None
                    elif line.strip():
                        yield number, line
            start, number = _skip_blanks(chunk, end + 1, number + 1)
    if too_long:
        yield number, None
    elif pending.strip():
        yield number, bytes(pending)


def _skip_blanks(chunk: bytes, start: int, number: int) -> tuple[int, int]:
    """Past a run of blank lines beginning at ``start``: (where the next line begins, its number)."""
    run = _BLANK_RUN.match(chunk, start)
    if run is None:
        return start, number
    return run.end(), number + chunk.count(b"\n", start, run.end())
