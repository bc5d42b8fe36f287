"""Readers for documents that are not plain text: HTML pages, Word (DOCX) files and PDFs.

Each reader takes the file's bytes and returns a :class:`Page` (text, title, date) or raises
:class:`FormatError` with a one-line reason. Every reader guards against hostile files first:
a DOCX is checked for a zip bomb (by the sizes its directory declares, before anything is
decompressed) and for DTDs and entity declarations (XXE) before it is parsed.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from dataclasses import dataclass
from typing import Any

MAX_UNZIPPED = 64 * 1024 * 1024  # bytes a DOCX may expand to
MAX_RATIO = 200  # a part that expands more than this (and past 1 MB) is a bomb
HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}
_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "main", "h1", "h2", "h3", "h4", "h5",
    "h6", "blockquote", "pre", "dd", "dt", "dl", "td", "th", "figcaption", "hr", "center", "title", "body",
}  # fmt: skip
_DROP = "script, style, noscript, template, iframe, svg, nav, header, footer, aside, form, button, select, input, textarea"
_FURNITURE_ATTR = re.compile(
    r"(^|[\s_-])(nav|menu|breadcrumb|crumb|footer|header|share|sidebar|related|comment|copyright|login|toolbar)", re.I
)
_MAIN = ("article", "main", "[role=main]", "#UCAP-CONTENT", ".TRS_Editor", ".pages_content", ".article-content",
         ".article", "#article", ".content", "#content", ".main", "#main", ".text", "#zoom")  # fmt: skip
_DATE = re.compile(r"(20\d\d|19\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_DATE_META = ("article:published_time", "pubdate", "publishdate", "publish_date", "firstpublishedtime", "dc.date",
              "dc.date.issued", "dcterms.issued", "date", "og:release_date", "releasedate")  # fmt: skip
_TITLE_META = ("articletitle", "og:title", "dc.title", "title")
# The first bytes of files that are not text; a ZIP (DOCX) and a PDF are read, the others refused.
MAGIC = {
    b"%PDF": "a PDF file",
    b"PK\x03\x04": "a ZIP archive",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"BM": "a BMP image",
    b"II*\x00": "a TIFF image",
    b"MM\x00*": "a TIFF image",
    b"\x00\x00\x01\x00": "an icon",
    b"\x1f\x8b": "a gzip archive",
    b"BZh": "a bzip2 archive",
    b"\xfd7zXZ\x00": "an xz archive",
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
    b"\xd0\xcf\x11\xe0": "an old Office file (.doc/.xls: save it as .docx)",
    b"\x7fELF": "a program (ELF)",
    b"MZ": "a Windows program",
    b"SQLite format 3": "an SQLite database",
    b"OggS": "an Ogg audio file",
    b"ID3": "an MP3 audio file",
    b"fLaC": "a FLAC audio file",
}


class FormatError(ValueError):
    """A file that looks like a format kg reads but cannot be read; the message is one line."""


@dataclass(frozen=True)
class Page:
    text: str
    title: str = ""
    date: str = ""


# --------------------------------------------------------------------------- HTML


def looks_like_html(text: str) -> bool:
    head = text.lstrip("\ufeff \t\r\n")[:512].lower()
    return head.startswith(("<!doctype html", "<html")) or ("<html" in head and "<head" in text[:4096].lower())


def html_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in its first bytes (``<meta charset>`` or ``http-equiv``), if any."""
    m = re.search(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", data[:4096], re.I)
    return m.group(1).decode("ascii").lower() if m else None


def read_html(html: str) -> Page:
    """The main text of a page without scripts, styles, comments, menus and footers; its title and date."""
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    tree = HTMLParser(html)
    meta = _meta(tree)
    title = next((meta[k] for k in _TITLE_META if meta.get(k)), "")
    if not title:
        h1 = tree.css_first("h1")
        t = tree.css_first("title")
        title = (h1.text(strip=True) if h1 else "") or (re.split(r"\s+[-|_]\s+|_", t.text(strip=True))[0] if t else "")
    date = next((_iso(meta[k]) for k in _DATE_META if meta.get(k) and _iso(meta[k])), "")
    for node in tree.css(_DROP):
        node.decompose()
    total = len(tree.body.text(strip=True)) if tree.body else 0
    for node in tree.css("[class], [id]"):
        attrs = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}"
        if node.tag not in {"body", "html", "article", "main"} and _FURNITURE_ATTR.search(attrs):
            if len(node.text(strip=True)) < 0.3 * total:  # menus and footers are small; a main block is not
                node.decompose()
    candidates = [n for sel in _MAIN for n in tree.css(sel)]
    body = max(candidates, key=lambda n: len(n.text(strip=True)), default=None)
    if body is None or len(body.text(strip=True)) < 50:
        body = tree.body or tree.root
    parts: list[str] = []
    if body is not None:
        _text(body, parts)
    text = re.sub(r"[ \t\r\f\v\u00a0]*\n[\s\u00a0]*", "\n", "".join(parts))
    text = re.sub(r"[ \t\r\f\v\u00a0]{2,}", " ", text).strip()
    if not date:
        m = _DATE.search(tree.root.text() if tree.root else "")
        date = _iso(m.group()) if m else ""
    return Page(text=text, title=" ".join(title.split()), date=date)


def _meta(tree: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in tree.css("meta"):
        key = (node.attributes.get("name") or node.attributes.get("property") or node.attributes.get("itemprop") or "").lower()
        value = node.attributes.get("content") or ""
        if key and value and key not in out:
            out[key] = value.strip()
    return out


def _iso(value: str) -> str:
    m = _DATE.search(value)
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else ""


def _text(node: Any, parts: list[str]) -> None:
    """The text under ``node``, a line break around every block element; comments are not text."""
    child = node.child
    while child is not None:
        tag = child.tag
        if tag == "-text":
            parts.append(child.text_content or "")
        elif tag not in {"_comment", "-comment", "!--"} and not tag.startswith("-"):
            block = tag in _BLOCK
            if block:
                parts.append("\n")
            _text(child, parts)
            if block:
                parts.append("\n")
        child = child.next


# --------------------------------------------------------------------------- DOCX


def read_docx(data: bytes) -> Page:
    """The paragraphs (and table cells) of a Word file, and its title."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FormatError(f"is a damaged DOCX/ZIP file ({exc})") from None
    with archive:
        infos = archive.infolist()
        names = {i.filename for i in infos}
        if "word/document.xml" not in names:
            raise FormatError("is a ZIP archive, not a Word document (no word/document.xml)")
        total = sum(i.file_size for i in infos)
        if total > MAX_UNZIPPED:
            raise FormatError(f"would expand to {total:,} bytes (limit {MAX_UNZIPPED:,}); refused as a possible zip bomb")
        for i in infos:
            ratio = i.file_size // max(i.compress_size, 1)
            if i.file_size > 1_000_000 and ratio > MAX_RATIO:
                raise FormatError(f"part {i.filename} expands {ratio}x; refused as a possible zip bomb")
        try:
            for i in infos:
                if i.filename.endswith((".xml", ".rels")):
                    head = archive.read(i)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise FormatError(f"part {i.filename} declares a DTD or entities; refused (XML external entities)")
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            if isinstance(exc, FormatError):
                raise
            raise FormatError(f"is a damaged DOCX/ZIP file ({exc.__class__.__name__}: {exc})") from None
    try:
        import docx
        from docx.oxml.ns import qn
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
        lines = [Paragraph(p, document).text for p in document.element.body.iter(qn("w:p"))]
        title = document.core_properties.title or ""
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds on a broken file
        raise FormatError(f"is not a readable Word document ({exc.__class__.__name__}: {str(exc)[:120]})") from None
    return Page(text="\n".join(lines), title=title.strip())


# --------------------------------------------------------------------------- PDF


def read_pdf(data: bytes) -> Page:
    """The text layer of a PDF, page by page, and its title; a PDF without text (a scan) is refused."""
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise FormatError("is an encrypted PDF; refused")
            pages = [page.extract_text() or "" for page in reader.pages]
            title = (reader.metadata.title if reader.metadata else None) or ""
    except FormatError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on a broken file
        raise FormatError(f"is not a readable PDF ({exc.__class__.__name__}: {str(exc)[:120]})") from None
    text = "\n".join(pages)
    if not text.strip():
        raise FormatError("is a PDF without a text layer (a scan?); kg reads only PDFs with text")
    return Page(text=text, title=str(title).strip())
