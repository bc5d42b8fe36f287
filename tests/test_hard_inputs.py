"""Hard inputs through ``kg build``: each gets its one-line message and documented exit code, the
other inputs are still built, no traceback is printed, and every export parses in pyoxigraph with
the same number of triples.

Exit codes (README): 0 ok (perhaps with a ``kg: note:``), 2 usage error or nothing readable,
3 some inputs skipped, 1 internal error.
"""

from __future__ import annotations

import io
import json
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph
import pytest

from kg import cli, formats
from test_ingest_formats import PAGE, make_docx, make_pdf, rewrite_docx

GOOD = "天津市妇联深化“巾帼建功”行动，打造“津门巧娘”品牌。\n坚持党的领导，服务妇女群众。\n"
TEXT = "市妇联开展“春蕾计划”活动，关爱困难妇女儿童。\n团市委实施“青年大学习”行动。\n"
BIG5 = "市婦聯深化“巾幗建功”行動，關愛困難婦女兒童。\n"
FORMATS = {"ttl": pyoxigraph.RdfFormat.TURTLE, "nt": pyoxigraph.RdfFormat.N_TRIPLES, "jsonld": pyoxigraph.RdfFormat.JSON_LD}
Make = Callable[[Path], list[str]]


@dataclass(frozen=True)
class Case:
    id: str
    make: Make  # writes the hard input(s) into the folder, returns the command-line arguments
    code: int
    message: str = ""  # a part of the one-line message (empty: no message)
    check: Callable[[str], None] | None = None  # called with graph.nt
    args: tuple[str, ...] = field(default=())


def file(name: str, data: bytes | str) -> Make:
    def make(folder: Path) -> list[str]:
        path = folder / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return [str(path)]

    return make


def jsonl(*rows: object, raw: str = "") -> Make:
    text = "".join(json.dumps(r, ensure_ascii=True) + "\n" for r in rows) + raw
    return file("corpus.jsonl", text)


def noise(seed: int, n: int, *, nul: bool = True) -> bytes:
    rng = random.Random(seed)
    data = bytes(rng.randrange(256) for _ in range(n))
    return data if nul else data.replace(b"\x00", b"\x01")


def zip_of(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def bomb(size: int) -> bytes:
    """A DOCX whose document.xml expands to ``size`` bytes of zeros (written in chunks: never in memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            chunk = b"\x00" * (1 << 20)
            for _ in range(size >> 20):
                f.write(chunk)
    return out.getvalue()


XXE = (b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
       b"<w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>")  # fmt: skip
EVIL = 'A<B>"{C}|^`\\%公司'


def lexicon(label: str, cls: str = "Organization") -> Make:
    def make(folder: Path) -> list[str]:
        (folder / "user.tsv").write_text(f"{label}\t{cls}\t\t\ttest\n", "utf-8")
        (folder / "t.txt").write_text(f"市妇联与{label}合作开展“巾帼建功”行动。\n", "utf-8")
        return [str(folder / "t.txt"), "--lexicon", str(folder / "user.tsv")]

    return make


def both(*makes: Make) -> Make:
    return lambda folder: [a for m in makes for a in m(folder)]


def sub(name: str, inner: Make) -> Make:
    def make(folder: Path) -> list[str]:
        (folder / name).mkdir()
        return inner(folder / name)

    return make


def folder_of(name: str, inner: Make) -> Make:
    def make(folder: Path) -> list[str]:
        (folder / name).mkdir()
        inner(folder / name)
        return [str(folder / name)]

    return make


def all_gbk(folder: Path) -> list[str]:
    """With ``--encoding gbk`` every input is read so: the good input too."""
    (folder / "good.txt").write_bytes((folder / "good.txt").read_text("utf-8").encode("gbk"))
    (folder / "g.txt").write_bytes(TEXT.encode("gbk"))
    return [str(folder / "g.txt")]


def has(*parts: str) -> Callable[[str], None]:
    def check(nt: str) -> None:
        for part in parts:
            assert part in nt, part

    return check


def lacks(*parts: str) -> Callable[[str], None]:
    def check(nt: str) -> None:
        for part in parts:
            assert part not in nt, part

    return check


def long_line(folder: Path) -> list[str]:
    """A 10 MB single line: filler with a sentence every 100 kB."""
    path = folder / "long.txt"
    piece = ("——" * 16_000 + "市妇联深化“巾帼建功”行动。").encode()
    path.write_bytes(piece * (10_000_000 // len(piece) + 1))
    return [str(path)]


def symlink_loop(folder: Path) -> list[str]:
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    return [str(folder / "loop.txt")]


def broken_link(folder: Path) -> list[str]:
    (folder / "gone.txt").symlink_to(folder / "nowhere.txt")
    return [str(folder / "gone.txt")]


SKIPPED = 3
CASES = [
    # empty and not text
    Case("empty", file("e.txt", b""), SKIPPED, "empty"),
    Case("blank", file("e.txt", b" \n\t\r\n"), SKIPPED, "empty"),
    Case("empty-md", file("e.md", b""), SKIPPED, "empty"),
    Case("empty-jsonl", file("e.jsonl", b"\n\n"), SKIPPED, "empty"),
    Case("headers-only", file("h.txt", "title: 标题\ndate: 2024-01-01\n\n"), SKIPPED, "no text"),
    Case("invisible-only", file("z.txt", "\u200b\ufeff\u200d\u2060"), SKIPPED, "no text"),
    Case("escapes-only", file("esc.txt", b"\x1b" * 200), SKIPPED, "binary"),
    Case("png", file("p.txt", b"\x89PNG\r\n\x1a\n" + noise(1, 500)), SKIPPED, "PNG image"),
    Case("jpeg", file("j.txt", b"\xff\xd8\xff\xe0" + noise(2, 500)), SKIPPED, "JPEG image"),
    Case("gif", file("g.txt", b"GIF89a" + noise(3, 500)), SKIPPED, "GIF image"),
    Case("bmp", file("b.txt", b"BM" + noise(4, 500)), SKIPPED, "BMP image"),
    Case("webp", file("w.txt", b"RIFF\x00\x10\x00\x00WEBPVP8 " + noise(5, 500)), SKIPPED, "image"),
    Case("tiff", file("t.txt", b"II*\x00" + noise(6, 500)), SKIPPED, "TIFF image"),
    Case("gzip", file("z.txt", b"\x1f\x8b\x08\x00" + noise(7, 500)), SKIPPED, "gzip"),
    Case("elf", file("x.txt", b"\x7fELF\x02\x01\x01" + noise(8, 500)), SKIPPED, "program"),
    Case("ole2-doc", file("old.doc.txt", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + noise(9, 500)), SKIPPED, "old Office"),
    Case("random-4k", file("r.txt", noise(10, 4096)), SKIPPED, "not text"),
    Case("random-64k", file("r.txt", noise(11, 65536)), SKIPPED, "not text"),
    Case("random-mostly-nul", file("r.txt", noise(19, 4096).replace(b"\x05", b"\x00" * 9)), SKIPPED, "binary (NUL"),
    Case("random-no-nul-1", file("r.txt", noise(12, 3000, nul=False)), SKIPPED, "not text"),
    Case("random-no-nul-2", file("r.md", noise(13, 200, nul=False)), SKIPPED, "not text"),
    Case("random-no-nul-3", file("r.txt", noise(14, 31, nul=False)), SKIPPED, "not text"),
    Case("random-named-docx", file("r.docx", noise(15, 2000)), SKIPPED, "not a DOCX"),
    Case("random-named-pdf", file("r.pdf", noise(16, 2000)), SKIPPED, "not a PDF"),
    Case("random-named-html", file("r.html", noise(17, 2000)), SKIPPED, "not text"),
    Case(
        "invalid-utf8-middle", file("u.txt", GOOD.encode()[:10] + b"\xff\xfe\xfd" + GOOD.encode()[10:]), SKIPPED, "neither UTF-8"
    ),
    Case("utf16-bom-odd", file("u.txt", b"\xff\xfe" + "妇联".encode("utf-16-le") + b"\x00"), SKIPPED, "byte-order mark"),
    # Word, PDF, HTML
    Case("docx-truncated", file("t.docx", make_docx()[:1500]), SKIPPED, "damaged"),
    Case("docx-truncated-as-txt", file("t.txt", make_docx()[:3000]), SKIPPED, "damaged"),
    Case("docx-bomb-total", file("bomb.docx", bomb(300 << 20)), SKIPPED, "zip bomb"),
    Case("docx-bomb-ratio", file("bomb.docx", bomb(40 << 20)), SKIPPED, "zip bomb"),
    Case("docx-xxe", file("x.docx", rewrite_docx(make_docx(), "word/document.xml", XXE)), SKIPPED, "DTD"),
    Case("docx-xxe-as-txt", file("x.txt", rewrite_docx(make_docx(), "word/document.xml", XXE)), SKIPPED, "DTD"),
    Case("zip-not-word", file("a.docx", zip_of({"a.txt": b"x"})), SKIPPED, "not a Word document"),
    Case("docx-empty", file("e.docx", make_docx([])), SKIPPED, "no text"),
    Case("pdf-no-text", file("scan.pdf", make_pdf([])), SKIPPED, "without a text layer"),
    Case("pdf-garbage", file("g.pdf", b"%PDF-1.7\n" + noise(18, 3000)), SKIPPED, "PDF"),
    Case(
        "html-empty-body",
        file("e.html", "<html><head><title>空</title></head><body><script>x()</script></body></html>"),
        SKIPPED,
        "no text",
    ),
    # sizes
    Case("over-max-bytes", file("big.txt", TEXT * 200), SKIPPED, "--max-bytes", args=("--max-bytes", "5k")),
    Case(
        "jsonl-record-over-max-bytes",
        jsonl({"id": "a", "text": TEXT}, {"id": "b", "text": TEXT * 100}),
        SKIPPED,
        ":2: record is",
        args=("--max-bytes", "2k"),
    ),  # fmt: skip
    Case("ten-mb-single-line", long_line, 0, check=has("巾帼建功")),
    # JSON Lines
    Case("jsonl-bad-json", jsonl({"id": "a", "text": TEXT}, raw="{oops\n"), SKIPPED, "not valid JSON"),
    Case("jsonl-not-object", jsonl({"id": "a", "text": TEXT}, raw="[1, 2]\n"), SKIPPED, "no string field"),
    Case("jsonl-text-not-string", jsonl({"id": "a", "text": TEXT}, {"id": "b", "text": 3}), SKIPPED, "no string field"),
    Case("jsonl-deep-nesting", jsonl({"id": "a", "text": TEXT}, raw="[" * 100_000 + "\n"), SKIPPED, "corpus.jsonl:2"),
    Case(
        "jsonl-invalid-utf8",
        file("c.jsonl", b'{"text": "\xff\xfe\xfd\xfc"}\n' + json.dumps({"text": TEXT}).encode() + b"\n"),
        SKIPPED,
        "corpus.jsonl:1" if False else "c.jsonl:1",
    ),  # fmt: skip
    Case(
        "jsonl-lone-surrogate",
        jsonl({"id": "s", "title": "标题\ud800", "text": "市妇联深化“巾帼\udc00建功”行动。"}),
        0,
        check=has('"标题"@zh', "巾帼建功"),
    ),  # fmt: skip
    Case(
        "jsonl-odd-metadata",
        jsonl(
            {
                "id": "../../etc/passwd <x> {y}",
                "title": '标题\n第二行\t"引号"\\',
                "source": 'http://x/<a b>"{}|^`',
                "date": "2024-13-45",
                "text": TEXT,
            }
        ),
        0,
        check=has("doc/etc-passwd-x-y>", "\\n第二行"),
    ),  # fmt: skip
    Case(
        "jsonl-nul-esc-in-text",
        jsonl({"id": "n", "text": "市妇联\u0000深化\u001b“巾帼建功”\u0007行动。"}),
        0,
        check=lacks("\\u0000", "\\u001B"),
    ),
    Case("duplicate-id", both(sub("x", file("good.txt", TEXT)), sub("y", file("good.txt", TEXT))), SKIPPED, "already read"),
    # missing and odd files
    Case("missing", lambda folder: [str(folder / "nope.txt")], SKIPPED, "no such file"),
    Case("broken-symlink", broken_link, SKIPPED, "no such file"),
    Case("symlink-loop", symlink_loop, SKIPPED, "loop.txt"),
    Case("folder-without-texts", folder_of("pics", file("a.png", b"\x89PNG\r\n\x1a\n")), SKIPPED, "folder holds no file"),
    # read all the same
    Case("big5", file("b5.txt", BIG5.encode("big5")), 0, check=has("巾幗建功")),
    Case("utf16-le-no-bom", file("u.txt", TEXT.encode("utf-16-le")), 0, check=has("春蕾计划")),
    Case("utf16-be-no-bom", file("u.txt", TEXT.encode("utf-16-be")), 0, check=has("春蕾计划")),
    Case("utf16-bom", file("u.txt", TEXT.encode("utf-16")), 0, check=has("春蕾计划")),
    Case("utf32-bom", file("u.txt", TEXT.encode("utf-32")), 0, check=has("春蕾计划")),
    Case("gb18030", file("g.txt", TEXT.encode("gb18030")), 0, check=has("春蕾计划")),
    Case("gbk-with-forced-encoding", all_gbk, 0, check=has("春蕾计划"), args=("--encoding", "gbk")),
    Case("truncated-utf8", file("t.txt", TEXT.rstrip("\n").encode()[:-2]), 0, "truncated"),
    Case(
        "a-nul-byte",
        file("n.txt", (TEXT * 30).encode().replace("计划".encode(), "计\x00划".encode(), 1)),
        0,
        "NUL",
        check=has("春蕾计划"),
    ),
    Case("esc-and-bell", file("e.txt", "市妇联开展“春\x1b蕾计划”活动。\x07\n"), 0, check=has("春蕾计划")),
    Case("zero-width-in-name", file("z.txt", "市妇联开展“春\u200b蕾\u200d计划”活动。\n"), 0, check=has("春蕾计划")),
    Case("bom-inside-text", file("b.txt", "\ufeff市妇联开展“春\ufeff蕾计划”活动。\n\ufeff"), 0, check=has("春蕾计划")),
    Case("crlf-and-cr", file("c.txt", TEXT.replace("\n", "\r\n") + "服务妇女。\r再一行。\r"), 0, check=has("春蕾计划")),
    Case(
        "full-width-latin",
        both(file("a.txt", "市妇联深化“ＡＢＣ１２３”行动。\n"), file("b.txt", "市妇联深化“ABC123”行动。\n")),
        0,
        check=lambda nt: (has("/programme/ABC123>")(nt), lacks("ＡＢＣ")(nt.split('"')[0])),
    ),  # fmt: skip
    Case(
        "ideographic-space-in-name",
        file("s.txt", "市妇联深化“巾帼\u3000建功”行动。\n"),
        0,
        check=has("/programme/%E5%B7%BE%E5%B8%BC%E5%BB%BA%E5%8A%9F>"),
    ),
    Case("astral-characters", file("a.txt", "市妇联深化“𠀀𠀁建功”行动。🎉\n"), 0),
    Case("bidi-controls", file("b.txt", "市妇联深化“巾帼\u202e建功”行动。\n"), 0),
    Case("lexicon-evil-characters", lexicon(EVIL), 0, check=has("%3C", "%7B")),
    Case("lexicon-spaces", lexicon("ABC 妇女 服务 中心"), 0),
    Case("lexicon-full-width", lexicon("ＡＢＣ公司"), 0),
    Case(
        "html-scripts-and-comments",
        file("p.html", PAGE.format(charset="utf-8")),
        0,
        check=lacks("脚本里的字", "注释里的字", "机构设置"),
    ),
    Case("html-gbk-meta-charset", file("p.htm", PAGE.format(charset="gbk").encode("gbk")), 0, check=has("巾帼建功")),
    Case("html-named-txt", file("p.txt", PAGE.format(charset="utf-8")), 0, check=has("巾帼建功")),
    Case("docx", file("d.docx", make_docx(title="要点")), 0, check=has("津门巧娘")),
    Case("docx-named-txt", file("d.txt", make_docx()), 0, check=has("津门巧娘")),
    Case("pdf", file("d.pdf", make_pdf()), 0, check=has("津门巧娘")),
    Case("pdf-named-txt", file("d.txt", make_pdf()), 0, check=has("津门巧娘")),
    Case("odd-file-name", file("市妇联 工作<要点> {2016}|^.txt", TEXT), 0, check=has("doc/市妇联-工作-要点-2016>")),
]


def test_there_are_at_least_sixty_hard_inputs() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hard_input(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    good = inputs / "good.txt"
    good.write_text(GOOD, "utf-8")
    args = case.make(inputs)
    out = tmp_path / "out"
    code = cli.main(
        ["build", str(good), *args, "--out", str(out), "--format", "nt", "--format", "jsonld", "--no-html", *case.args]
    )
    captured = capsys.readouterr()
    err = captured.err
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == case.code, err
    messages = err.splitlines()
    assert all(line.startswith(("kg: skipped ", "kg: note: ")) for line in messages), err
    if case.message:
        assert any(case.message in line for line in messages), err
    else:
        assert not messages, err
    counts = {}
    for fmt, oxfmt in FORMATS.items():
        data = (out / f"graph.{fmt}").read_bytes()
        counts[fmt] = len(list(pyoxigraph.parse(data, format=oxfmt)))
    assert counts["ttl"] == counts["nt"] == counts["jsonld"] > 0, counts
    nt = (out / "graph.nt").read_text("utf-8")
    assert "巾帼建功" in nt  # the good input was built
    assert captured.out.split("triples")[-1].split() == [str(counts["nt"])]
    for line in nt.splitlines():
        s, p, _ = line.split(" ", 2)
        assert all(c not in s + p for c in " \u3000\u200b\ufeff\x00\x1b"), line
    if case.check:
        case.check(nt)


def test_a_document_made_through_the_api_with_a_lone_surrogate_is_extracted() -> None:
    """kg's reader removes lone surrogates; a Document made by hand can hold one, which the
    tokenizer and the lexicon's matcher refuse: it is read as U+FFFD, offsets unchanged."""
    from kg import parallel, rdf
    from kg.model import Document

    doc = Document(id="api", text="市妇联开展“春\ud800蕾计划”活动，关爱困难妇女儿童。\n团市委实施“青年大学习”行动。")
    ((dg, triples),) = parallel.work(parallel.Settings(), [doc])
    assert dg.document is doc
    labels = {e.label for e in dg.entities}
    assert {"市妇联", "春\ufffd蕾计划", "青年大学习"} <= labels
    for e in dg.entities:
        for m in e.mentions:
            assert doc.text[m.start : m.end].replace("\ud800", "\ufffd") == m.surface
    nt = rdf.encode(rdf.merge([triples]), "nt")
    assert len(list(pyoxigraph.parse(nt, format=pyoxigraph.RdfFormat.N_TRIPLES))) == rdf.merge([triples]).count()


def test_zip_bomb_is_refused_before_decompressing() -> None:
    import tracemalloc

    data = bomb(512 << 20)
    assert len(data) < 2_000_000
    tracemalloc.start()
    try:
        with pytest.raises(formats.FormatError, match="zip bomb"):
            formats.read_docx(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 1024 * 1024
    assert peak < 10 * 1024 * 1024  # nothing was decompressed


def test_nothing_readable_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_bytes(b"")
    (tmp_path / "b.txt").write_bytes(b"\x89PNG\r\n\x1a\n")
    code = cli.main(["build", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "no input could be read" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "graph.ttl").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--base", "https://example.org/a b/"], "--base"),
    (["--base", "not an iri"], "--base"),
    (["--jobs", "-1"], "--jobs"),
    (["--lexicon", "/nonexistent/user.tsv"], "lexicon file not found"),
])  # fmt: skip
def test_usage_errors_are_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    (tmp_path / "a.txt").write_text(GOOD, "utf-8")
    code = cli.main(["build", str(tmp_path / "a.txt"), "--out", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.splitlines()) == 1


def test_max_bytes_must_be_a_size(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["build", "x.txt", "--max-bytes", "lots"])
    assert exc.value.code == 2 and "not a size" in capsys.readouterr().err
