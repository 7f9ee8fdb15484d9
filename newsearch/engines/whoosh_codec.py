"""Whoosh's W3 codec with posting blocks stored as plain arrays, so that a block's documents and weights are
read without unpickling its positions.

W3 pickles each block of up to 128 postings as one tuple (ids, weights, per-posting position bytes) and
compresses it: reading a common word's documents at a million articles unpickles hundreds of
thousands of Python objects, most of them positions nobody asked for (two thirds of a slow first
search). Here a block is a fixed header, then its id deltas (uint32) and weights (float32, absent when
all 1.0) compressed together, then its positions compressed apart: ``ArrayLeafMatcher.arrays`` reads a
whole list as numpy arrays, and whoosh's own matching reads the same blocks through the usual
``LeafMatcher`` methods. Term index, per-document files, vectors and inlined postings are W3's.

A segment keeps the codec it was written with (whoosh pickles it into the table of contents), so an
index written before this codec is read as it was, and merging rewrites its segments in this format.
Private W3 API used (whoosh-reloaded 2.7.5, pinned): ``W3PostingsWriter``'s block buffers and
``_write_block`` duty; ``W3LeafMatcher``'s block state (``_goto``, ``_read_ids``, ``_read_weights``,
``_read_values``, and ``_read_data`` and ``_data`` of W3 blocks in ``posting_arrays``);
``W3TermInfo.add_block``; ``W3FieldWriter._tindex`` and whoosh's ``HashWriter`` state (``buckets``,
``index``, ``lastkey``, ``_write_hashes``), whose file ``_TermTable`` writes byte for byte.
"""

from __future__ import annotations

import struct
import zlib
from array import array
from itertools import accumulate, repeat

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3FieldWriter, W3LeafMatcher, W3PostingsWriter
from whoosh.filedb.filetables import OrderedHashWriter, _lengths, _pointer
from whoosh.util.numeric import byte_to_length, length_to_byte

# A block: its length (negative for a term's last block), then this header, then its data.
# (postings, last id, most weight, whether weights are stored, min length byte, max length byte, id and
# weight bytes as stored)
_HEADER = struct.Struct("<IIf?BBI")
_LENGTH = struct.Struct("<i")


class ArrayCodec(W3Codec):
    """W3, with posting blocks of arrays (see the module docstring), and a term table that holds less in memory
    while a segment is written."""

    def field_writer(self, storage, segment):
        return ArrayFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        if byteids:  # term vectors, read by W3's own matcher
            return super().postings_writer(dbfile, byteids)
        return ArrayPostingsWriter(dbfile, blocklimit=self._blocklimit, compression=self._compression,
                                   inlinelimit=self._inlinelimit)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return ArrayLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


class ArrayFieldWriter(W3FieldWriter):
    """W3's field writer, its term table keeping each term's hash and file position in arrays (``_TermTable``)."""

    _tindex: OrderedHashWriter

    def __init__(self, codec, storage, segment):
        super().__init__(codec, storage, segment)
        self._tindex = _TermTable.taking_over(self._tindex)


class _TermTable(OrderedHashWriter):
    """whoosh's ordered hash file writer, the same file, but holding each key's hash and position in two arrays
    (16 bytes a key) where whoosh holds a tuple of two ints (about 130): a segment of 500,000 articles has a
    term or more per article in each of its id, url and path fields alone."""

    lastkey: bytes

    @classmethod
    def taking_over(cls, writer: OrderedHashWriter) -> _TermTable:
        """This kind of writer in place of ``writer``, which has written its header and no key."""
        assert not writer.index, "a term table is taken over before its first key"
        table = cls.__new__(cls)
        table.__dict__.update(writer.__dict__)
        table.buckets = [(array("Q"), array("Q")) for _ in range(256)]  # (hashes, positions) by low byte
        return table

    def add(self, key: bytes, value: bytes) -> None:
        if key <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{key!r}")
        position = self.dbfile.tell()
        self.index.append(position)
        self.dbfile.write(_lengths.pack(len(key), len(value)) + key + value)
        hashed = self.hashfn(key)
        hashes, positions = self.buckets[hashed & 255]
        hashes.append(hashed)
        positions.append(position)
        self.lastkey = key

    def _write_hashes(self) -> None:
        """Each bucket's open-addressing table (twice as many slots as keys; a free slot is position 0,
        which no key has: the file starts with a header), as whoosh reads it."""
        for hashes, positions in self.buckets:
            slots = 2 * len(hashes)
            self.directory.append((self.dbfile.tell(), slots))
            slot_hashes, slot_positions = array("Q", bytes(8 * slots)), array("Q", bytes(8 * slots))
            for hashed, position in zip(hashes, positions, strict=True):
                slot = (hashed >> 8) % slots
                while slot_positions[slot]:
                    slot = (slot + 1) % slots
                slot_hashes[slot], slot_positions[slot] = hashed, position
            self.dbfile.write(b"".join(map(_pointer.pack, slot_hashes, slot_positions)))


class ArrayPostingsWriter(W3PostingsWriter):
    """Writes each block as a header, its compressed id deltas and weights, then its compressed positions."""

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        ids, weights, values = self._ids, self._weights, self._values
        weighted = any(weight != 1.0 for weight in weights)
        numbers = array("I", (later - earlier for earlier, later in zip([0, *ids], ids, strict=False))).tobytes()
        if weighted:
            numbers += weights.tobytes()
        numbers = zlib.compress(numbers, self._compression)
        positions = b""
        if values:
            positions = zlib.compress(array("I", map(len, values)).tobytes() + b"".join(values), self._compression)
        header = _HEADER.pack(len(ids), ids[-1], self._maxweight, weighted, length_to_byte(self._minlength),
                              length_to_byte(self._maxlength), len(numbers))
        length = len(header) + len(numbers) + len(positions)
        self._postfile.write(_LENGTH.pack(-length if last else length) + header + numbers + positions)
        self._blockcount += 1
        self._new_block()


class ArrayLeafMatcher(W3LeafMatcher):
    """Reads the blocks ``ArrayPostingsWriter`` wrote, one at a time (whoosh's matching) or a whole list at
    once (``arrays``)."""

    _data: bytes | None
    _ids: array | None
    _weights: array | None
    _values: tuple | None

    def _goto(self, position: int) -> None:
        self._data = self._ids = self._weights = self._values = None
        self._i = 0
        start = self._postfile.get(position, _LENGTH.size + _HEADER.size)
        (length,) = _LENGTH.unpack_from(start)
        self._lastblock = length < 0
        self._nextoffset = position + _LENGTH.size + abs(length)
        (self._blocklength, self._maxid, self._maxweight, self._weighted, shortest, longest,
         self._numbers_size) = _HEADER.unpack_from(start, _LENGTH.size)
        self._compression = 0
        self._minlength, self._maxlength = byte_to_length(shortest), byte_to_length(longest)
        self._dataoffset = position + _LENGTH.size + _HEADER.size

    def _numbers(self) -> bytes:
        """The block's id deltas and weights, decompressed once a block."""
        if self._data is None:
            self._data = zlib.decompress(self._postfile.get(self._dataoffset, self._numbers_size))
        return self._data

    def _read_ids(self) -> None:
        self._ids = array("I", accumulate(array("I", self._numbers()[:4 * self._blocklength])))

    def _read_weights(self) -> None:
        if self._weighted:
            self._weights = array("f", self._numbers()[4 * self._blocklength:])
        else:
            self._weights = array("f", [1.0]) * self._blocklength

    def _read_values(self) -> None:
        fixed = self._fixedsize
        count = self._blocklength
        if fixed == 0:
            self._values = (None,) * count
            return
        stored = self._nextoffset - self._dataoffset - self._numbers_size
        if not stored:
            self._values = ()
            return
        data = zlib.decompress(self._postfile.get(self._dataoffset + self._numbers_size, stored))
        sizes = array("I", data[:4 * count])
        values, at = [], 4 * count
        for size in sizes:
            values.append(data[at:at + size])
            at += size
        self._values = tuple(values)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Every posting of the list from the current block on: (docnums int64, weights float64)."""
        docnums, weights = [], []
        while self.is_active():
            numbers = self._numbers()
            count = self._blocklength
            docnums.append(np.frombuffer(numbers, dtype="<u4", count=count).cumsum(dtype=np.int64))
            weights.append(np.frombuffer(numbers, dtype="<f4", offset=4 * count).astype(np.float64)
                           if self._weighted else np.ones(count))
            self._next_block()
        if not docnums:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(docnums), np.concatenate(weights)


def posting_arrays(matcher) -> tuple[np.ndarray, np.ndarray]:
    """A term's whole posting list in one segment as (docnums int64, weights float64), whatever wrote it:
    array blocks at once, W3 blocks a block at a time (unpickled, positions and all), a list inlined in
    the term index a posting at a time."""
    if isinstance(matcher, ArrayLeafMatcher):
        return matcher.arrays()
    docnums: list[int] = []
    weights: list[float] = []
    if isinstance(matcher, W3LeafMatcher) and not matcher._byteids:
        while matcher.is_active():
            matcher._read_data()
            deltas, block_weights = matcher._data[0], matcher._data[1]
            docnums.extend(accumulate(deltas))  # whoosh's delta_decode, in C
            if block_weights is None or isinstance(block_weights, float):  # all 1.0, or all one value
                weights.extend(repeat(block_weights or 1.0, len(deltas)))
            else:
                weights.extend(block_weights)
            matcher._next_block()
    else:
        while matcher.is_active():
            docnums.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    return np.array(docnums, dtype=np.int64), np.array(weights, dtype=np.float64)
