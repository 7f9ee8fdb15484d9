"""Bytes to text: byte-order marks, declared charsets, UTF-8, then detection; binary files are refused."""

from __future__ import annotations

import codecs
import re

from ..errors import ReadError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECLARED_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
# Control bytes that never occur in text (tab, newline, form feed, carriage return and escape do).
_BINARY_BYTES = bytes(set(range(32)) - {9, 10, 12, 13, 27})
_SNIFF = 4096
NEAR_TIE = 0.02  # detector "chaos" within which windows-1252 is preferred


def decode(data: bytes, path: str, *, markup: bool = False) -> str:
    """The text of a file's bytes; with ``markup``, a charset declared in the page is honoured.

    Raises ReadError for empty and binary files and for bytes no encoding explains.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            if not data[len(bom):].strip(b"\x00 \t\r\n"):
                raise ReadError(path, "empty file")
            return _decode_as(data, name, path)
    check_text(data[:_SNIFF], path)
    if markup:
        declared = _declared_charset(data[:16384])
        if declared:
            try:
                return data.decode(declared)
            except (LookupError, UnicodeDecodeError):
                pass  # a wrong declaration is common; fall through to UTF-8 and detection
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return _detect(data, path)


def check_text(head: bytes, path: str) -> None:
    """Raise ReadError when the opening bytes of a file show it is empty or binary (outside UTF-16/32)."""
    if not head.strip():
        raise ReadError(path, "empty file")
    if b"\x00" in head or sum(head.count(bytes([b])) for b in _BINARY_BYTES) > len(head) // 100:
        raise ReadError(path, "binary file, not text")


def _declared_charset(head: bytes) -> str | None:
    match = _DECLARED_CHARSET.search(head) or _XML_ENCODING.search(head)
    if not match:
        return None
    name = match.group(1).decode("ascii").lower()
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    # Pages declaring Latin-1 are in practice windows-1252 (as browsers assume).
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


def _detect(data: bytes, path: str) -> str:
    """The text under the detector's best guess; windows-1252 wins a near tie, as it is the likeliest by far."""
    # charset-normalizer is imported here only: most files are UTF-8 and never need it.
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if matches:
        best = min(matches, key=lambda match: match.chaos)
        western = next((match for match in matches if match.encoding == "cp1252"), None)
        if western is not None and western.chaos <= best.chaos + NEAR_TIE:
            best = western
        return str(best)
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ReadError(path, "not valid text in any known encoding") from None


def _decode_as(data: bytes, name: str, path: str) -> str:
    try:
        return data.decode(name)
    except UnicodeDecodeError as error:
        raise ReadError(path, f"invalid {name} at byte {error.start}") from None
