"""Reading inputs into Documents: files, folders and JSON Lines corpora.

Every problem with one input is reported as an :class:`InputError` naming the file, and the
other inputs are still read. Files are read by what they hold: Word and PDF files by their magic
numbers, HTML pages by their suffix or first tag (:mod:`kg.formats`), anything else as text.
Text is decoded strictly (BOM, then UTF-8, then GB18030, UTF-16 without BOM and Big5, each of the
last three only where the result looks like text) and binary files are refused before decoding,
so garbage never becomes text.
"""

from __future__ import annotations

import codecs
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kg import resources
from kg.model import Document

TEXT_SUFFIXES = {".txt", ".text", ".md"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
DOC_SUFFIXES = {".docx", ".pdf", ".html", ".htm", ".shtml", ".xhtml"}
HEADER_KEYS = ("source", "title", "date")
MAX_BYTES = 50_000_000  # an input (a file, or one record of a JSON Lines file) larger than this is skipped
# Characters that carry no text: control characters (but tab and newline), zero-width marks, BOM.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2060\ufeff\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_TRUNCATED = "ends in the middle of a UTF-8 character (a truncated file?); the incomplete character was dropped"


@dataclass(frozen=True)
class InputError(Exception):
    """One input that could not be read; ``str()`` is a one-line message naming it.

    With ``skipped=False`` it is a remark on an input that was read all the same (a note).
    """

    path: str
    problem: str
    skipped: bool = True

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


def read_inputs(
    paths: Iterable[str | Path], *, encoding: str | None = None, max_bytes: int | None = MAX_BYTES
) -> Iterator[Document | InputError]:
    """Yield a Document for every text found under ``paths``, or an InputError for each bad one.

    Args:
        paths: files (text, ``.jsonl``, ``.html``, ``.docx``, ``.pdf``) or folders, searched
            recursively in name order. A file is read by what it holds, whatever its name says.
        encoding: force this encoding for text instead of detecting one.
        max_bytes: skip a file (or a JSON Lines record) larger than this.
    """
    suffixes = TEXT_SUFFIXES | JSONL_SUFFIXES | DOC_SUFFIXES
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
            if not files:
                yield InputError(str(path), "folder holds no file kg reads (.txt, .md, .jsonl, .html, .docx, .pdf)")
            for f in files:
                yield from _read_file(f, encoding, max_bytes)
        else:
            yield from _read_file(path, encoding, max_bytes)


def _read_file(path: Path, encoding: str | None, max_bytes: int | None) -> Iterator[Document | InputError]:
    name = str(path)
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes and path.suffix.lower() not in JSONL_SUFFIXES:
            yield InputError(name, f"is {size:,} bytes, over the limit of {max_bytes:,} (--max-bytes)")
            return
        if path.suffix.lower() in JSONL_SUFFIXES:
            yield from _read_jsonl(path, encoding, max_bytes)
            return
        data = path.read_bytes()
    except FileNotFoundError:
        yield InputError(name, "no such file")
        return
    except IsADirectoryError:
        yield InputError(name, "is a folder")
        return
    except OSError as exc:
        yield InputError(name, f"cannot be read ({exc.strerror or exc})")
        return
    try:
        yield from _read_document(data, path, encoding)
    except ValueError as exc:
        yield InputError(name, str(exc))
    except RecursionError:
        yield InputError(name, "is nested too deeply to be read")


def _read_document(data: bytes, path: Path, encoding: str | None) -> Iterator[Document | InputError]:
    from kg import formats

    suffix = path.suffix.lower()
    if data.startswith(b"PK\x03\x04"):
        page = formats.read_docx(data)
    elif data.startswith(b"%PDF"):
        page = formats.read_pdf(data)
    elif suffix in {".docx", ".pdf"}:
        raise ValueError(f"is not a {suffix[1:].upper()} file (it does not start as one); damaged or misnamed?")
    elif suffix in formats.HTML_SUFFIXES:
        text, note = decode_with_note(data, encoding or _declared_charset(data))
        if note:
            yield InputError(str(path), note, skipped=False)
        page = formats.read_html(text)
    else:
        text, note = decode_with_note(data, encoding)
        if note:
            yield InputError(str(path), note, skipped=False)
        if not formats.looks_like_html(text):
            yield parse_text(text, doc_id=path.stem, path=str(path))
            return
        page = formats.read_html(text)
    yield make_document(path.stem, page.text, title=page.title, date=page.date, path=str(path))


def _declared_charset(data: bytes) -> str | None:
    from kg import formats

    charset = formats.html_charset(data)
    if charset in {"gb2312", "gbk", "x-gbk"}:
        return "gb18030"  # a superset: pages that say gb2312 often hold GBK characters
    try:
        return codecs.lookup(charset).name if charset else None
    except LookupError:
        return None


def decode(data: bytes, encoding: str | None = None) -> str:
    """Bytes to text: BOM, then strict UTF-8, then strict GB18030 (UTF-16, Big5); binary data is refused.

    Raises:
        ValueError: with a one-line reason when the bytes are empty, binary or undecodable.
    """
    return decode_with_note(data, encoding)[0]


def decode_with_note(data: bytes, encoding: str | None = None) -> tuple[str, str | None]:
    """:func:`decode`, and a remark when the text had to be mended (a truncated last character)."""
    if not data.strip():
        raise ValueError("empty file")
    if encoding:
        try:
            return data.decode(encoding), None
        except (LookupError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot be decoded as {encoding} ({exc.__class__.__name__})") from None
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec), None
            except UnicodeDecodeError:
                raise ValueError(f"starts with a {codec} byte-order mark but is not valid {codec}") from None
    from kg.formats import MAGIC

    for magic, what in MAGIC.items():
        if data.startswith(magic):
            raise ValueError(f"is {what}, not text")
    if data[8:12] in (b"WEBP", b"AVI ", b"WAVE") or data[4:8] == b"ftyp":
        raise ValueError("is an image, audio or video file, not text")
    note = None
    nuls = data.count(b"\x00")
    if nuls:
        text = _utf16(data)
        if text is not None:
            return text, None
        if nuls > len(data) // 200:
            raise ValueError("is binary (NUL bytes), not text")
        note = f"holds {nuls} NUL byte(s); removed"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3 and exc.start > 0:
            return data[: exc.start].decode("utf-8"), _TRUNCATED
        text = ""
    if text:
        if _mostly_controls(text):
            raise ValueError("is binary (control characters), not text")
        return text, note
    for candidate in (_strict(data, "gb18030"), _utf16(data), _strict(data, "big5")):
        if candidate is not None and _plausible(candidate):
            return candidate, note
    raise ValueError("is not text: neither UTF-8 nor GB18030 (nor UTF-16 or Big5); use --encoding if you know its encoding")


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _utf16(data: bytes) -> str | None:
    """``data`` as UTF-16 without a byte-order mark, if it reads as plausible text in one byte order."""
    if len(data) % 2:
        return None
    for codec in ("utf-16-le", "utf-16-be"):
        text = _strict(data, codec)
        if text is not None and _plausible(text):
            return text
    return None


def _mostly_controls(text: str) -> bool:
    n = len(_CONTROL.findall(text))
    return n >= 8 and n > 0.1 * len(text)


def _plausible(text: str) -> bool:
    """Does this decoding look like Chinese or Latin text? Mojibake and random bytes do not."""
    chars = [c for c in _INVISIBLE.sub("", text) if not c.isspace()]
    if not chars:
        return False
    expected = sum(1 for c in chars if _expected(c))
    if expected < 0.95 * len(chars):
        return False
    hanzi = [c for c in chars if "\u4e00" <= c <= "\u9fff"]
    if len(hanzi) >= 8:
        common = _common_hanzi()
        return sum(1 for c in hanzi if c in common) >= 0.85 * len(hanzi)
    return True


def _expected(c: str) -> bool:
    return (
        (" " < c < "\x7f")
        or "\u4e00" <= c <= "\u9fff"
        or "\u3000" <= c <= "\u303f"
        or "\uff01" <= c <= "\uff5e"
        or "\u2010" <= c <= "\u2027"
        or "\u00b7" == c
        or "\u2460" <= c <= "\u24ff"
    )


@cache
def _common_hanzi() -> frozenset[str]:
    """The hanzi of GB2312 (simplified) and of Big5's first level (traditional): the characters most texts use."""
    chars: set[str] = set()
    tables = (("gb2312", range(0xB0, 0xF8), range(0xA1, 0xFF)), ("big5", range(0xA4, 0xC7), range(0x40, 0xFF)))
    for codec, leads, trails in tables:
        for hi in leads:
            for lo in trails:
                try:
                    chars.add(bytes((hi, lo)).decode(codec))
                except UnicodeDecodeError:
                    continue
    return frozenset(chars)


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


def _read_jsonl(path: Path, encoding: str | None, max_bytes: int | None) -> Iterator[Document | InputError]:
    """One Document per line of a JSON Lines file, read line by line (a corpus may be large)."""
    seen_text = False
    with path.open("rb") as f:
        for lineno, raw in enumerate(f, 1):
            where = f"{path}:{lineno}"
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            seen_text = True
            if max_bytes is not None and len(raw) > max_bytes:
                yield InputError(where, f"record is {len(raw):,} bytes, over the limit of {max_bytes:,} (--max-bytes)")
                continue
            try:
                line = raw.decode(encoding or "utf-8")
            except (LookupError, UnicodeDecodeError):
                try:
                    line = decode(raw)
                except ValueError as exc:
                    yield InputError(where, f"{exc} (JSON Lines should be UTF-8)")
                    continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield InputError(where, f"not valid JSON ({exc.msg})")
                continue
            except RecursionError:
                yield InputError(where, "JSON nested too deeply")
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
    if not seen_text:
        yield InputError(str(path), "empty file")


def slug(name: str) -> str:
    """A document id safe in an IRI path segment: letters, digits, CJK, ``-``, ``_`` and ``.``."""
    s = re.sub(r"[^\w.\-]+", "-", unicodedata.normalize("NFKC", name), flags=re.UNICODE).strip("-.")
    return s or "doc"


def find_furniture(text: str) -> tuple[tuple[int, int], ...]:
    """Character ranges of page furniture: whole lines, or inline bylines, per the rule data."""
    rules = resources.furniture_rules()
    may_match = resources.may_match
    # a rule that cannot match in the whole text cannot match in one of its lines: most never run
    line_any = [(r, needs) for r, needs in rules.line_any if may_match(needs, text)]
    inline = [(r, needs) for r, needs in rules.inline if may_match(needs, text)]
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        end = pos + len(line)
        stripped = line.strip()
        if stripped and (
            rules.line_start.match(stripped) or any(r.search(stripped) for r, needs in line_any if may_match(needs, stripped))
        ):
            spans.append((pos, end))
        else:
            for r, needs in inline:
                if may_match(needs, line):
                    spans.extend((pos + m.start(), pos + m.end()) for m in r.finditer(line))
        pos = end + 1
    tail = rules.tail_start.search(text)
    if tail:
        spans.append((tail.start(), len(text)))
    return tuple(sorted(spans))
