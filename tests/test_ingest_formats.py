"""Reading HTML pages, Word files, PDFs and texts in other encodings into Documents.

The sample files are made here: DOCX with python-docx, PDF by hand (a CID font whose ToUnicode
map gives the text layer), so the tests need no data beside them.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from kg import formats, ingest
from kg.ingest import InputError, read_inputs
from kg.model import Document

LINES = ["市妇联深化“巾帼建功”行动，打造“津门巧娘”品牌。", "坚持党的领导，服务妇女群众。"]
TEXT = "\n".join(LINES) + "\n"

PAGE = """<!DOCTYPE html><html><head><meta charset="{charset}">
<title>市妇联召开执委会议_天津市妇女联合会</title>
<meta name="PubDate" content="2024-3-8 10:00">
<script>var secret = "脚本里的字";</script><style>.x {{ color: red }}</style></head>
<body><div class="nav"><a href="/">首页</a> | <a href="/jg">机构设置</a></div>
<header>天津市妇女联合会 网站头部</header>
<div class="article-content"><h1>市妇联召开执委会议</h1><!-- 注释里的字 -->
<p>市妇联深化<b>“巾帼建功”</b>行动，打造“津门巧娘”品牌。</p><p>坚持党的领导，服务妇女群众。</p>
<script>document.write("又一段脚本")</script>
<table><tr><td>单元格一</td><td>单元格二</td></tr></table></div>
<div class="share-bar">分享到 微信</div>
<footer>版权所有 天津市妇女联合会</footer></body></html>"""


def make_docx(paragraphs: list[str] = LINES, *, title: str = "", table: list[list[str]] | None = None) -> bytes:
    import docx

    d = docx.Document()
    d.core_properties.title = title
    for p in paragraphs:
        d.add_paragraph(p)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                t.cell(r, c).text = cell
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def rewrite_docx(data: bytes, part: str, new: bytes) -> bytes:
    """``data`` with the zip member ``part`` replaced by ``new``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, new if info.filename == part else src.read(info))
    return out.getvalue()


def make_pdf(lines: list[str] = LINES, *, title: str = "") -> bytes:
    """A one-page PDF whose text layer is ``lines`` (a CID font with a ToUnicode map; no glyphs)."""
    chars = sorted(set("".join(lines)))
    cid = {c: i + 1 for i, c in enumerate(chars)}
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) "
        "/Supplement 0 >> def /CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
    )
    for i in range(0, len(chars), 100):
        block = chars[i : i + 100]
        cmap += f"{len(block)} beginbfchar\n" + "".join(f"<{cid[c]:04X}> <{ord(c):04X}>\n" for c in block) + "endbfchar\n"
    cmap += "endcmap CMapName currentdict /CMap defineresource pop end end"
    show = " ".join("<" + "".join(f"{cid[c]:04X}" for c in line) + "> Tj 0 -20 Td" for line in lines)
    content = f"BT /F1 12 Tf 50 750 Td {show} ET" if lines else ""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        f"<< /Length {len(content.encode())} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type0 /BaseFont /Song /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Song /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) "
        "/Supplement 0 >> /FontDescriptor 8 0 R /DW 1000 >>",
        f"<< /Length {len(cmap.encode())} >>\nstream\n{cmap}\nendstream",
        "<< /Type /FontDescriptor /FontName /Song /Flags 4 /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 1000 /Descent 0 "
        "/CapHeight 1000 /StemV 80 >>",
        f"<< /Title <FEFF{title.encode('utf-16-be').hex().upper()}> >>",
    ]
    out = io.BytesIO(b"%PDF-1.7\n")
    out.seek(0, io.SEEK_END)
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n{body}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.write("".join(f"{off:010d} 00000 n \n" for off in offsets).encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 9 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def read_all(path: Path, **kw: object) -> list[Document | InputError]:
    return list(read_inputs([path], **kw))  # type: ignore[arg-type]


def read_doc(path: Path, **kw: object) -> Document:
    items = [i for i in read_all(path, **kw) if not (isinstance(i, InputError) and not i.skipped)]
    assert len(items) == 1 and isinstance(items[0], Document), items
    return items[0]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- HTML


@pytest.mark.parametrize("charset", ["utf-8", "gb2312"])
def test_html_main_text_title_and_date_without_scripts_comments_or_menus(tmp_path: Path, charset: str) -> None:
    page = PAGE.format(charset=charset)
    doc = read_doc(write(tmp_path, "page.html", page.encode("gb18030" if charset == "gb2312" else "utf-8")))
    assert doc.title == "市妇联召开执委会议"
    assert doc.date == "2024-03-08"
    for line in LINES:
        assert line in doc.text
    assert "单元格一" in doc.text and "单元格二" in doc.text
    for absent in ("脚本里的字", "又一段脚本", "注释里的字", "机构设置", "网站头部", "版权所有", "分享到", "color"):
        assert absent not in doc.text, absent


def test_html_without_a_main_block_reads_the_body_and_the_title_tag(tmp_path: Path) -> None:
    page = "<html><head><title>通知 - 某某网</title></head><body><p>市妇联深化“巾帼建功”行动。</p>发布时间：2023年5月6日</body>"
    doc = read_doc(write(tmp_path, "a.htm", page.encode()))
    assert (doc.title, doc.date) == ("通知", "2023-05-06")
    assert "市妇联深化“巾帼建功”行动。" in doc.text


def test_html_named_txt_is_read_as_html(tmp_path: Path) -> None:
    doc = read_doc(write(tmp_path, "page.txt", PAGE.format(charset="utf-8").encode()))
    assert doc.title == "市妇联召开执委会议" and "脚本里的字" not in doc.text


def test_html_page_builds_a_graph(tmp_path: Path) -> None:
    from kg import pipeline

    path = write(tmp_path, "page.html", PAGE.format(charset="utf-8").encode())
    result = pipeline.build([path], out=tmp_path / "out", html=False)
    assert not result.errors
    assert "巾帼建功" in {e.label for e in result.documents[0].entities}


# --------------------------------------------------------------------------- DOCX and PDF


def test_docx_paragraphs_tables_and_title(tmp_path: Path) -> None:
    data = make_docx(title="工作要点", table=[["单元格一", "单元格二"]])
    doc = read_doc(write(tmp_path, "plan.docx", data))
    assert doc.title == "工作要点" and doc.id == "plan"
    assert doc.text.split("\n") == [*LINES, "单元格一", "单元格二"]


def test_docx_named_txt_is_read_by_its_content(tmp_path: Path) -> None:
    doc = read_doc(write(tmp_path, "plan.txt", make_docx()))
    assert doc.text == "\n".join(LINES)


def test_zip_that_is_not_a_word_file_is_refused(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("a.txt", "x")
    (err,) = read_all(write(tmp_path, "a.docx", out.getvalue()))
    assert isinstance(err, InputError) and "not a Word document" in str(err)


def test_pdf_text_layer_and_title(tmp_path: Path) -> None:
    doc = read_doc(write(tmp_path, "plan.pdf", make_pdf(title="工作要点")))
    assert doc.title == "工作要点"
    assert [line.strip() for line in doc.text.split("\n") if line.strip()] == LINES


def test_pdf_without_text_is_refused(tmp_path: Path) -> None:
    (err,) = read_all(write(tmp_path, "scan.pdf", make_pdf([])))
    assert isinstance(err, InputError) and "without a text layer" in str(err)


def test_folder_reads_every_format_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, "a.docx", make_docx())
    write(tmp_path, "b.pdf", make_pdf())
    write(tmp_path, "c.html", PAGE.format(charset="utf-8").encode())
    write(tmp_path, "d.txt", TEXT.encode())
    write(tmp_path, "e.png", b"\x89PNG\r\n\x1a\n")
    docs = read_all(tmp_path)
    assert [d.id for d in docs if isinstance(d, Document)] == ["a", "b", "c", "d"]


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "big5", "gb18030", "utf-8-sig", "utf-16", "utf-32"])
def test_encodings_are_detected(tmp_path: Path, codec: str) -> None:
    text = TEXT if codec != "big5" else "市婦聯深化「巾幗建功」行動，打造「津門巧娘」品牌。\n堅持黨的領導，服務婦女群眾。\n"
    doc = read_doc(write(tmp_path, "t.txt", text.encode(codec)))
    assert doc.text == text


def test_utf16_of_chinese_text_without_any_ascii_is_detected(tmp_path: Path) -> None:
    text = "市妇联深化巾帼建功行动打造津门巧娘品牌坚持党的领导服务妇女群众"
    assert read_doc(write(tmp_path, "t.txt", text.encode("utf-16-le"))).text == text


def test_forced_encoding_wins(tmp_path: Path) -> None:
    text = "市婦聯深化行動。"
    assert read_doc(write(tmp_path, "t.txt", text.encode("big5")), encoding="big5").text == text


def test_truncated_utf8_at_the_end_is_read_with_a_note(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt", TEXT.rstrip("\n").encode()[:-1])
    items = read_all(path)
    notes = [i for i in items if isinstance(i, InputError)]
    docs = [i for i in items if isinstance(i, Document)]
    assert len(docs) == 1 and docs[0].text == TEXT.rstrip("\n")[:-1]
    assert len(notes) == 1 and not notes[0].skipped and "truncated" in str(notes[0])


def test_a_few_nul_bytes_in_text_are_removed_with_a_note(tmp_path: Path) -> None:
    data = (TEXT * 40).encode().replace("品牌".encode(), "品\x00牌".encode(), 1)
    items = read_all(write(tmp_path, "t.txt", data))
    assert isinstance(items[0], InputError) and not items[0].skipped and "NUL" in str(items[0])
    assert isinstance(items[1], Document) and "\x00" not in items[1].text and items[1].text.startswith(LINES[0])


def test_max_bytes_applies_to_files_and_jsonl_records(tmp_path: Path) -> None:
    big = write(tmp_path, "big.txt", TEXT.encode() * 100)
    (err,) = read_all(big, max_bytes=1000)
    assert isinstance(err, InputError) and "--max-bytes" in str(err)
    rows = '{"id": "a", "text": "短文。"}\n{"id": "b", "text": "' + "长" * 2000 + '"}\n'
    items = read_all(write(tmp_path, "c.jsonl", rows.encode()), max_bytes=1000)
    assert isinstance(items[0], Document) and isinstance(items[1], InputError) and items[1].path.endswith(":2")


def test_decode_keeps_its_contract() -> None:
    assert ingest.decode(TEXT.encode("gb18030")) == TEXT
    with pytest.raises(ValueError, match="empty"):
        ingest.decode(b"  ")


def test_looks_like_html() -> None:
    assert formats.looks_like_html("\ufeff  <!DOCTYPE html><html>")
    assert not formats.looks_like_html("市妇联 <b>粗体</b>")


def test_a_main_block_whose_class_looks_like_furniture_is_kept(tmp_path: Path) -> None:
    body = "".join(f"<p>{line}</p>" for line in LINES * 5)
    page = f'<html><body><div class="nav">首页 | 机构</div><div class="article share-enabled">{body}</div></body></html>'
    doc = read_doc(write(tmp_path, "p.html", page.encode()))
    assert LINES[0] in doc.text and "机构" not in doc.text
