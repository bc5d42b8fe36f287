"""Random Unicode text and random bytes through the pipeline: no traceback, and every export parses
in pyoxigraph with the same number of triples."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyoxigraph
import pytest

from kg import ingest, parallel, rdf
from kg.model import Document

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is not installed (pip install -e '.[test]')")
# hypothesis keeps caches (Unicode tables, constants) in a folder: not in the repository's
hypothesis.configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "kg-hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FORMATS = {"ttl": pyoxigraph.RdfFormat.TURTLE, "nt": pyoxigraph.RdfFormat.N_TRIPLES, "jsonld": pyoxigraph.RdfFormat.JSON_LD}
# pieces that the rules look for, and characters that are hard for IRIs, literals and decoders
PIECES = [
    "市妇联", "共青团中央", "深化", "开展", "“", "”", "《", "》", "行动", "计划", "工程", "坚持", "服务", "妇女", "青年", "。",
    "，", "、", "\n", " ", "\u3000", "\u200b", "\ufeff", "\x00", "\x1b", "\r", "\t", "<", ">", '"', "{", "}", "|", "^", "`",
    "\\", "%", "Ａ", "１", "ABC", "五大发展理念", "巾帼建功", "\ud800", "\udfff", "𠀀", "🎉", "\u202e", "'", "@", "#", "_:", "^^",
]  # fmt: skip
TEXT = st.lists(st.one_of(st.sampled_from(PIECES), st.characters(), st.text(max_size=3)), max_size=60).map("".join)
FUZZ = settings(max_examples=50, deadline=None, derandomize=True, database=None)


def assert_exports_parse(docs: list[Document]) -> None:
    ex_settings = parallel.Settings()
    outcomes = parallel.work(ex_settings, docs)
    triples = rdf.merge(t for _, t in outcomes)
    counts = {fmt: len(list(pyoxigraph.parse(rdf.encode(triples, fmt), format=f))) for fmt, f in FORMATS.items()}
    assert counts["ttl"] == counts["nt"] == counts["jsonld"] == triples.count() == len(triples.lines()), counts
    assert_pairs_as_parsed(triples)


def assert_pairs_as_parsed(triples: rdf.Triples) -> None:
    """rdf.graph_of and rdf.by_predicate read the entries themselves: they give the terms that
    rdflib's own parser reads from the Turtle."""
    from rdflib import Graph

    parsed = Graph().parse(data=rdf.encode(triples, "ttl").decode(), format="turtle")
    assert set(rdf.graph_of(triples)) == set(parsed)
    predicates = {str(p) for p in parsed.predicates()}
    for p, pairs in rdf.by_predicate(triples, predicates).items():
        assert sorted(pairs) == sorted(parsed.subject_objects(p)), p


@FUZZ
@given(text=TEXT, title=TEXT, doc_id=TEXT)
def test_random_text_builds_a_graph_that_parses(text: str, title: str, doc_id: str) -> None:
    try:
        doc = ingest.make_document(doc_id, text, title=title, source=title, date=title)
    except ValueError:  # nothing but white space and invisible characters
        return
    assert not any(c in doc.text for c in "\x00\x1b\ufeff\u200b") and not any("\ud800" <= c <= "\udfff" for c in doc.text)
    assert_exports_parse([doc])


@FUZZ
@given(data=st.one_of(st.binary(max_size=600), TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))),
       suffix=st.sampled_from([".txt", ".md", ".jsonl", ".html", ".docx", ".pdf"]))  # fmt: skip
def test_random_bytes_are_read_or_refused_in_one_line(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        items = list(ingest.read_inputs([path]))
    docs = [i for i in items if isinstance(i, Document)]
    for item in items:
        assert isinstance(item, Document | ingest.InputError)
        if isinstance(item, ingest.InputError):
            assert "\n" not in str(item) and str(item).startswith(str(path))
    if docs:
        assert_exports_parse(docs)


@FUZZ
@given(text=TEXT, codec=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be", "big5"]))
def test_encoded_text_is_read_as_that_text_or_refused(text: str, codec: str) -> None:
    try:
        data = text.encode(codec)
    except UnicodeEncodeError:
        return
    try:
        decoded = ingest.decode(data)
    except ValueError as exc:
        assert "\n" not in str(exc)
        return
    if codec in {"utf-8", "utf-8-sig", "utf-16"}:  # unambiguous: must come back exactly
        assert decoded == text
