"""The graph: ontology terms only, no blank nodes, complete provenance, parseable exports, same bytes.

Each graph check runs on a small literal work plan and, when the shared corpus is present, on the
reference article.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pyoxigraph
import pytest
from pyoxigraph import RdfFormat
from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, SKOS

from kg import pipeline, rdf, vocab
from kg.vocab import KG, NS

OXIGRAPH_FORMATS = {"ttl": RdfFormat.TURTLE, "nt": RdfFormat.N_TRIPLES, "jsonld": RdfFormat.JSON_LD}
# rdflib's own JSON-LD parser builds a ConjunctiveGraph, which rdflib 7.1+ deprecates
_RDFLIB_JSONLD = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

PLAN = """title: 北京市妇联2016年工作要点
date: 2016-03-08
source: 测试文本

分享到: | 更多 |
坚持党的领导，把广大妇女紧紧团结在党的周围。
全面贯彻落实五大发展理念，围绕创新发展，深化巾帼创新创业行动，打造“津门巧娘”品牌。围绕协调发展，统筹城乡妇女发展。\
围绕绿色发展，深化“美丽庭院”创建活动。围绕开放发展，扩大对外交流。围绕共享发展，让妇女共享改革成果。
当好广大妇女的引导者、组织者、服务者。强化“春风送暖”慈善品牌，健全困难妇女儿童救助机制。
抓组织设置改革，着力扩大有效覆盖。认真贯彻《北京市妇女发展规划》。
开展“春蕾计划”活动 | 2014-05-04 |
（作者为北京市妇联主席）
"""


@pytest.fixture(scope="module")
def plan_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "plan.txt"
    path.write_text(PLAN, "utf-8")
    return path


@pytest.fixture(scope="module")
def plan_build(plan_path: Path) -> pipeline.BuildResult:
    return pipeline.build([plan_path], out=plan_path.parent / "out", formats=("ttl", "nt", "jsonld"), html=False)


@pytest.fixture(params=["plan", "reference"])
def built(request: pytest.FixtureRequest) -> pipeline.BuildResult:
    """A build written as ttl, nt and jsonld: the literal plan, then the reference article."""
    result: pipeline.BuildResult = request.getfixturevalue(f"{request.param}_build")
    return result


def test_every_kg_term_used_is_defined(built: pipeline.BuildResult) -> None:
    g = built.graph
    types = {str(t) for t in g.objects(None, RDF.type)}
    props = {str(p) for p in g.predicates()}
    used = {t.removeprefix(NS) for t in types | props if t.startswith(NS)}
    assert {"Document", "Sentence", "Mention", "Assertion", "Programme", "runs", "hasComponent", "refersTo"} <= used
    assert used <= vocab.defined_terms(), used - vocab.defined_terms()


def test_no_blank_nodes(built: pipeline.BuildResult) -> None:
    assert not [t for triple in built.graph for t in triple if isinstance(t, BNode)]


def test_every_assertion_is_complete_and_matches_its_triple(built: pipeline.BuildResult) -> None:
    g = built.graph
    assertions = set(g.subjects(RDF.type, KG.Assertion))
    assert len(assertions) >= 15
    for a in assertions:
        for p in (RDF.subject, RDF.predicate, RDF.object, KG.inSentence, KG.inDocument, KG.startOffset, KG.endOffset, KG.rule):
            assert len(list(g.objects(a, p))) == 1, (a, p)
        s, p, o = g.value(a, RDF.subject), g.value(a, RDF.predicate), g.value(a, RDF.object)
        assert (s, p, o) in g
        assert str(p).removeprefix(NS) in vocab.RELATIONS
        sentence = g.value(a, KG.inSentence)
        assert (sentence, RDF.type, KG.Sentence) in g
        start, end = g.value(a, KG.startOffset).toPython(), g.value(a, KG.endOffset).toPython()
        assert g.value(sentence, KG.startOffset).toPython() <= start < end <= g.value(sentence, KG.endOffset).toPython()
    relation_triples = {(s, p, o) for s, p, o in g if str(p).removeprefix(NS) in vocab.RELATIONS}
    reified = {(g.value(a, RDF.subject), g.value(a, RDF.predicate), g.value(a, RDF.object)) for a in assertions}
    assert relation_triples == reified


def test_mentions_and_sentences_cite_the_document_text(built: pipeline.BuildResult) -> None:
    g = built.graph
    text = built.documents[0].document.text
    mentions = list(g.subjects(RDF.type, KG.Mention))
    assert mentions
    for m in mentions:
        start, end = g.value(m, KG.startOffset), g.value(m, KG.endOffset)
        assert start.datatype == XSD.integer
        assert text[start.toPython() : end.toPython()] == str(g.value(m, KG.surfaceForm))
        assert (g.value(m, KG.refersTo), SKOS.prefLabel, None) in g
    for s in g.subjects(RDF.type, KG.Sentence):
        start, end = g.value(s, KG.startOffset).toPython(), g.value(s, KG.endOffset).toPython()
        assert text[start:end] == str(g.value(s, KG.text))


def test_document_node_carries_header_metadata(plan_build: pipeline.BuildResult) -> None:
    g = plan_build.graph
    d = rdf.document_iri("plan")
    assert (d, RDF.type, KG.Document) in g
    assert g.value(d, DCTERMS.identifier) == Literal("plan")
    assert g.value(d, DCTERMS.title) == Literal("北京市妇联2016年工作要点", lang="zh")
    assert g.value(d, DCTERMS.date) == Literal("2016-03-08", datatype=XSD.date)
    assert g.value(d, DCTERMS.source) == Literal("测试文本")


@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld"])
def test_exports_parse_in_oxigraph_with_the_same_triple_count(built: pipeline.BuildResult, fmt: str) -> None:
    data = (built.written[0].parent / f"graph.{fmt}").read_bytes()
    assert data == rdf.serialize(built.graph, fmt)
    triples = list(pyoxigraph.parse(data, format=OXIGRAPH_FORMATS[fmt]))
    assert len(triples) == len(built.graph) > 300


@pytest.mark.parametrize("fmt", ["ttl", "nt", pytest.param("jsonld", marks=_RDFLIB_JSONLD)])
def test_exports_read_back_as_the_same_graph(built: pipeline.BuildResult, fmt: str) -> None:
    back = Graph().parse(built.written[0].parent / f"graph.{fmt}", format=rdf.FORMATS[fmt])
    assert isomorphic(back, built.graph)


def test_two_builds_give_the_same_bytes(built: pipeline.BuildResult, tmp_path: Path) -> None:
    first = built.written[0].parent
    inputs = [Path(dg.document.path) for dg in built.documents]
    pipeline.build(inputs, out=tmp_path, formats=("ttl", "nt"), html=False)
    for name in ("graph.ttl", "graph.nt"):
        assert (tmp_path / name).read_bytes() == (first / name).read_bytes(), name


def test_nt_export_is_sorted_lines(plan_build: pipeline.BuildResult) -> None:
    lines = (plan_build.written[0].parent / "graph.nt").read_text("utf-8").splitlines()
    assert lines == sorted(set(lines)) and all(line.endswith(" .") for line in lines)


def _parsed(data: str, fmt: RdfFormat) -> set[object]:
    return set(pyoxigraph.parse(data.encode("utf-8"), format=fmt))


def test_each_statement_holds_the_triples_of_its_lines_sorted(built: pipeline.BuildResult) -> None:
    head = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in rdf.PREFIXES.items())
    statements = [e for e in built.merged.entries if e.endswith(b"\n")]
    assert len(statements) > 50
    for statement in statements:
        lines = rdf.Triples([statement]).lines()
        assert lines == sorted(set(lines)) and len({line.split(" ", 1)[0] for line in lines}) == 1
        assert _parsed(head + statement.decode(), RdfFormat.TURTLE) == _parsed("\n".join(lines), RdfFormat.N_TRIPLES)


def _exports_agree(triples: rdf.Triples) -> list[str]:
    lines = rdf.encode(triples, "nt").decode("utf-8").splitlines()
    assert lines == sorted(set(lines)) == triples.lines()
    ttl = rdf.encode(triples, "ttl").decode("utf-8")
    assert _parsed(ttl, RdfFormat.TURTLE) == _parsed("\n".join(lines), RdfFormat.N_TRIPLES)
    assert len(lines) == triples.count()
    return lines


def test_two_mentions_of_one_span_make_one_subject(extract: Callable) -> None:
    """Two entities named by one span: its mention node gets both, as plain lines."""
    dg = extract("深化“巾帼建功”行动。").graph
    e = dg.entities[0]
    twin = replace(e, iri=e.iri + "-twin", label=e.label + "二")
    lines = _exports_agree(rdf.merge([rdf.document_triples(replace(dg, entities=(e, twin)))]))
    m = e.mentions[0]
    node = f"/m/{m.start}-{m.end}>"
    refers = [line for line in lines if line.split(" ")[0].endswith(node) and "refersTo" in line]
    assert len(refers) == 2


def test_two_documents_with_one_id_make_one_graph(extract: Callable) -> None:
    a = extract("深化“巾帼建功”行动。", doc_id="same").graph
    b = extract("开展“春蕾计划”活动，坚持党的领导。", doc_id="same").graph
    lines = _exports_agree(rdf.merge([rdf.document_triples(a), rdf.document_triples(b)]))
    doc = rdf.iri(str(rdf.document_iri("same")))
    assert sum(1 for line in lines if line.startswith(f"{doc} <{RDF.type}> ")) == 1


def test_write_atomic_replaces_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "graph.ttl"
    rdf.write_atomic(target, b"first")
    rdf.write_atomic(target, "第二".encode())
    assert target.read_text("utf-8") == "第二"
    assert os.listdir(target.parent) == ["graph.ttl"]


def test_write_atomic_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "graph.ttl"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        rdf.write_atomic(target, "not bytes")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["graph.ttl"]


def test_entity_in_two_documents_keeps_its_best_confidence(extract: Callable) -> None:
    a = extract("深化“巾帼建功”行动。", doc_id="a")
    b = extract("深化“巾帼建功”行动，开展“巾帼建功”活动。", doc_id="b")
    g = rdf.to_graph([a.graph, b.graph])
    node = URIRef(a.entity("巾帼建功").iri)
    confidences = list(g.objects(node, KG.confidence))
    assert len(confidences) == 1
    best = max(a.entity("巾帼建功").confidence, b.entity("巾帼建功").confidence)
    assert best > min(a.entity("巾帼建功").confidence, b.entity("巾帼建功").confidence)
    assert float(confidences[0]) == pytest.approx(best)


def test_by_predicate_reads_escaped_literals_as_a_parser_does() -> None:
    """Quotes, backslashes, newlines, controls and a lone surrogate in a document made without
    ingest's cleaning: the pairs read from the entries are the terms of the parsed Turtle."""
    from kg import parallel
    from kg.model import Document
    from test_fuzz import assert_pairs_as_parsed

    tricky = 'a"b\\c\nd\re\tf\x01g\x7fh\\u0041'
    text = f"天津市妇联开展“巾帼{tricky}建功”行动。\n市妇联坚持政治性。"
    doc = Document(id=f"d{tricky}", text=text, title=f"{tricky}\ud800", source=tricky, date="2024-01-02")
    triples = rdf.merge(t for _, t in parallel.work(parallel.Settings(), [doc]))
    assert any(b"\\\\" in e for e in triples.entries) and any(b"\\u0001" in e for e in triples.entries)
    assert_pairs_as_parsed(triples)
