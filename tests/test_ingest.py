"""Reading inputs: encodings, header lines, page furniture, bad files, JSONL and folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg import segment
from kg.ingest import InputError, read_inputs
from kg.model import Document

TEXT = "市妇联深化“巾帼建功”行动，打造“津门巧娘”品牌。\n坚持党的领导，服务妇女群众。\n"


def read(*paths: Path, encoding: str | None = None) -> list[Document | InputError]:
    return list(read_inputs(paths, encoding=encoding))


def read_one(path: Path, encoding: str | None = None) -> Document | InputError:
    items = read(path, encoding=encoding)
    assert len(items) == 1, items
    return items[0]


def read_doc(path: Path) -> Document:
    doc = read_one(path)
    assert isinstance(doc, Document), doc
    return doc


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "data",
    [TEXT.encode("utf-8"), b"\xef\xbb\xbf" + TEXT.encode("utf-8"), TEXT.encode("gb18030")],
    ids=["utf-8", "utf-8-bom", "gb18030"],
)
def test_encodings_decode_to_the_same_text(tmp_path: Path, data: bytes) -> None:
    doc = read_doc(write(tmp_path, "wenjian.txt", data))
    assert doc.text == TEXT
    assert doc.id == "wenjian"


def test_forced_encoding_that_does_not_fit_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, "gbk.txt", TEXT.encode("gb18030"))
    err = read_one(path, encoding="utf-8")
    assert isinstance(err, InputError)
    assert str(path) in str(err)


def test_crlf_and_invisible_characters_are_removed(tmp_path: Path) -> None:
    doc = read_doc(write(tmp_path, "a.txt", "妇联\u200b深化改革。\r\n服务妇女。\r\n".encode()))
    assert doc.text == "妇联深化改革。\n服务妇女。\n"


def test_header_lines_are_parsed_and_removed(tmp_path: Path) -> None:
    raw = "source: http://example.org/a\ntitle：市妇联工作要点\nDate: 2016-03-08\n\n" + TEXT
    doc = read_doc(write(tmp_path, "h.txt", raw.encode()))
    assert (doc.source, doc.title, doc.date) == ("http://example.org/a", "市妇联工作要点", "2016-03-08")
    assert doc.text == TEXT
    assert "title" not in doc.text and "2016-03-08" not in doc.text


def test_a_header_word_inside_the_text_is_text(tmp_path: Path) -> None:
    raw = "正文第一行。\ntitle: 不是标题\n"
    doc = read_doc(write(tmp_path, "b.txt", raw.encode()))
    assert doc.title == ""
    assert doc.text == raw


def test_page_furniture_gives_no_sentence(tmp_path: Path) -> None:
    raw = (
        "分享到: | 更多 |\n"
        "市妇联深化“巾帼建功”行动。\n"
        "新华社记者 张三 摄\n"
        "开展“春蕾计划”活动 | 2014-05-04 |\n"
        "打造“津门巧娘”品牌 | 2014-05-05 |\n"
    )
    doc = read_doc(write(tmp_path, "f.txt", raw.encode()))
    assert doc.text == raw  # furniture is kept in the text, so offsets stay true
    assert [s.text for s in segment.sentences(doc)] == ["市妇联深化“巾帼建功”行动。"]
    covered = "".join(raw[a:b] for a, b in doc.furniture)
    for line in ("分享到: | 更多 |", "新华社记者 张三 摄", "2014-05-04", "2014-05-05"):
        assert line in covered


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"  \n\t\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        ("妇联\x00\x00工作".encode(), "binary"),
        (b"\xe5\xa6\x87\xff\xfe\x80 text", "neither UTF-8 nor GB18030"),
    ],
    ids=["empty", "blank", "png", "nul-bytes", "undecodable"],
)
def test_bad_file_is_an_input_error_naming_it(tmp_path: Path, data: bytes, reason: str) -> None:
    path = write(tmp_path, "bad.txt", data)
    err = read_one(path)
    assert isinstance(err, InputError)
    assert err.path == str(path)
    message = str(err)
    assert message.startswith(str(path)) and reason in message
    assert "\n" not in message


def test_headers_only_is_an_input_error(tmp_path: Path) -> None:
    err = read_one(write(tmp_path, "h.txt", b"title: x\ndate: 2016-01-01\n\n"))
    assert isinstance(err, InputError)


def test_missing_file_is_an_input_error_and_others_are_read(tmp_path: Path) -> None:
    good = write(tmp_path, "good.txt", TEXT.encode())
    items = read(tmp_path / "missing.txt", good)
    assert isinstance(items[0], InputError) and "missing.txt" in str(items[0])
    assert not isinstance(items[1], InputError) and items[1].text == TEXT


def test_jsonl_bad_line_is_an_error_for_that_line_only(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "n1", "title": "市妇联", "date": "2025-01-02", "text": "深化“巾帼建功”行动。"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "n3", "body": "没有 text 字段"}, ensure_ascii=False),
        "",
        json.dumps({"text": "打造“津门巧娘”品牌。"}, ensure_ascii=False),
    ]
    path = write(tmp_path, "news.jsonl", "\n".join(lines).encode())
    items = read(path)
    docs = [i for i in items if not isinstance(i, InputError)]
    errors = [i for i in items if isinstance(i, InputError)]
    assert [d.id for d in docs] == ["n1", "news-5"]
    assert (docs[0].title, docs[0].date, docs[0].text) == ("市妇联", "2025-01-02", "深化“巾帼建功”行动。")
    assert [e.path for e in errors] == [f"{path}:2", f"{path}:3"]
    assert "not valid JSON" in str(errors[0])


def test_folder_is_read_recursively_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, "b.txt", "第二篇。".encode())
    write(tmp_path, "a.md", "第一篇。".encode())
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "c.txt", "第三篇。".encode())
    write(tmp_path, "picture.png", b"\x89PNG\r\n\x1a\n")  # not a text suffix: not read
    items = read(tmp_path)
    assert [(d.id, d.text) for d in items] == [("a", "第一篇。"), ("b", "第二篇。"), ("c", "第三篇。")]


def test_folder_without_texts_is_an_input_error(tmp_path: Path) -> None:
    write(tmp_path, "picture.png", b"\x89PNG\r\n\x1a\n")
    err = read_one(tmp_path)
    assert isinstance(err, InputError) and str(tmp_path) in str(err)


def test_document_id_is_safe_in_an_iri(tmp_path: Path) -> None:
    doc = read_doc(write(tmp_path, "市妇联 工作<要点> 2016.txt", TEXT.encode()))
    assert doc.id == "市妇联-工作-要点-2016"
