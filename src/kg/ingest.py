"""Reading inputs into Documents: files, folders and JSON Lines corpora.

Every problem with one input is reported as an :class:`InputError` naming the file, and the
other inputs are still read. Text is decoded strictly (BOM, then UTF-8, then GB18030) and
binary files are refused before decoding, so garbage never becomes text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kg import resources
from kg.model import Document

TEXT_SUFFIXES = {".txt", ".text", ".md"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
HEADER_KEYS = ("source", "title", "date")
_MAGIC = {
    b"PK\x03\x04": "a ZIP archive (DOCX/XLSX?)",
    b"%PDF": "a PDF file",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
}
# Characters that carry no text: control characters (but tab and newline), zero-width marks, BOM.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2060\ufeff\ud800-\udfff]")


@dataclass(frozen=True)
class InputError(Exception):
    """One input that could not be read; ``str()`` is a one-line message naming it."""

    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


def read_inputs(paths: Iterable[str | Path], *, encoding: str | None = None) -> Iterator[Document | InputError]:
    """Yield a Document for every text found under ``paths``, or an InputError for each bad one.

    Args:
        paths: files (``.txt``, ``.md``, ``.jsonl``) or folders, searched recursively in name order.
        encoding: force this encoding instead of detecting one.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES | JSONL_SUFFIXES)
            if not files:
                yield InputError(str(path), "folder holds no .txt, .md or .jsonl file")
            for f in files:
                yield from _read_file(f, encoding)
        else:
            yield from _read_file(path, encoding)


def _read_file(path: Path, encoding: str | None) -> Iterator[Document | InputError]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        yield InputError(str(path), "no such file")
        return
    except OSError as exc:
        yield InputError(str(path), f"cannot be read ({exc.strerror or exc})")
        return
    try:
        text = decode(data, encoding)
    except ValueError as exc:
        yield InputError(str(path), str(exc))
        return
    if path.suffix.lower() in JSONL_SUFFIXES:
        yield from _read_jsonl(path, text)
    else:
        try:
            yield parse_text(text, doc_id=path.stem, path=str(path))
        except ValueError as exc:
            yield InputError(str(path), str(exc))


def decode(data: bytes, encoding: str | None = None) -> str:
    """Bytes to text: BOM, then strict UTF-8, then strict GB18030; binary data is refused.

    Raises:
        ValueError: with a one-line reason when the bytes are empty, binary or undecodable.
    """
    if not data.strip():
        raise ValueError("empty file")
    if encoding:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot be decoded as {encoding} ({exc.__class__.__name__})") from None
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                raise ValueError(f"starts with a {codec} byte-order mark but is not valid {codec}") from None
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise ValueError(f"is {what}, not text")
    if b"\x00" in data[:4096]:
        raise ValueError("is binary (NUL bytes), not text")
    for codec in ("utf-8", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise ValueError("is neither UTF-8 nor GB18030 text")


def clean(text: str) -> str:
    """Remove characters that carry no text (controls, zero-width marks, stray BOMs)."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", text)).replace("\r\n", "\n").replace("\r", "\n")


def parse_text(text: str, *, doc_id: str, path: str = "") -> Document:
    """A Document from a plain text, reading ``source:``/``title:``/``date:`` header lines.

    Raises:
        ValueError: when nothing but headers and white space is left.
    """
    text = clean(text)
    meta: dict[str, str] = {}
    lines = text.split("\n")
    n = 0
    while n < len(lines):
        m = re.match(r"^\s*(source|title|date)\s*[:：]\s*(.*?)\s*$", lines[n], re.IGNORECASE)
        if not m:
            break
        meta[m.group(1).lower()] = m.group(2)
        n += 1
    if meta:
        while n < len(lines) and not lines[n].strip():
            n += 1
        text = "\n".join(lines[n:])
    return make_document(doc_id, text, path=path, **meta)


def make_document(doc_id: str, text: str, *, title: str = "", date: str = "", source: str = "", path: str = "") -> Document:
    """A Document with its page furniture located.

    Raises:
        ValueError: when the text is empty or only white space.
    """
    text = clean(text)
    if not text.strip():
        raise ValueError("no text (empty after removing headers and invisible characters)")
    return Document(
        id=slug(doc_id),
        text=text,
        title=clean(title).strip(),
        date=clean(date).strip(),
        source=clean(source).strip(),
        path=path,
        furniture=find_furniture(text),
    )


def _read_jsonl(path: Path, text: str) -> Iterator[Document | InputError]:
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputError(where, f"not valid JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            yield InputError(where, "JSON object has no string field 'text'")
            continue
        doc_id = str(obj.get("id") or f"{path.stem}-{lineno}")
        try:
            yield make_document(
                doc_id,
                obj["text"],
                title=str(obj.get("title") or ""),
                date=str(obj.get("date") or ""),
                source=str(obj.get("source") or ""),
                path=where,
            )
        except ValueError as exc:
            yield InputError(where, str(exc))


def slug(name: str) -> str:
    """A document id safe in an IRI path segment: letters, digits, CJK, ``-``, ``_`` and ``.``."""
    s = re.sub(r"[^\w.\-]+", "-", unicodedata.normalize("NFKC", name), flags=re.UNICODE).strip("-.")
    return s or "doc"


def find_furniture(text: str) -> tuple[tuple[int, int], ...]:
    """Character ranges of page furniture: whole lines, or inline bylines, per the rule data."""
    rules = resources.furniture_rules()
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        end = pos + len(line)
        stripped = line.strip()
        if stripped and any(r.search(stripped) for r in rules.lines):
            spans.append((pos, end))
        else:
            for r in rules.inline:
                spans.extend((pos + m.start(), pos + m.end()) for m in r.finditer(line))
        pos = end + 1
    tail = rules.tail_start.search(text)
    if tail:
        spans.append((tail.start(), len(text)))
    return tuple(sorted(spans))
