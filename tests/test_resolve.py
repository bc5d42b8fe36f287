"""Mentions to entities: aliases, the body a text speaks for, and stable IRIs."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

import pytest
from rdflib import URIRef
from rdflib.namespace import PROV

from kg import rdf
from kg.pipeline import BuildResult
from kg.resolve import DEFAULT_BASE, entity_iri, normalise_label

AUTHOR = "（作者为天津市妇联主席）"
_BAD_IRI_CHARS = re.compile(r'[\s<>"{}|\\^`]')


def test_same_label_in_two_documents_is_one_iri(extract: Callable) -> None:
    a = extract("市妇联深化“巾帼建功”行动。", doc_id="a")
    b = extract("各区妇联积极开展“巾帼建功”活动，服务妇女群众。", doc_id="b")
    assert a.entity("巾帼建功").iri == b.entity("巾帼建功").iri
    g = rdf.to_graph([a.graph, b.graph])
    node = URIRef(a.entity("巾帼建功").iri)
    assert set(g.objects(node, PROV.wasDerivedFrom)) == {rdf.document_iri("a"), rdf.document_iri("b")}


def test_short_name_resolves_to_the_body_the_text_speaks_for(extract: Callable) -> None:
    x = extract("妇联要深化“巾帼建功”行动，妇联组织要服务妇女群众。" + AUTHOR)
    assert x.focus == {"天津市妇联"}
    body = x.entity("天津市妇联")
    assert {"妇联", "妇联组织"} <= set(body.aliases)
    assert "妇联" not in x.entities and "妇联组织" not in x.entities
    assert {m.surface for m in body.mentions} == {"妇联", "妇联组织", "天津市妇联"}
    assert ("天津市妇联", "runs", "巾帼建功") in x.relations


def test_short_name_stays_separate_without_a_focus(extract: Callable) -> None:
    x = extract("妇联要深化“巾帼建功”行动。天津市妇联积极推进改革。")
    assert x.focus == set()
    assert x.entities.get("妇联") == "Organization"
    assert x.entities.get("天津市妇联") == "Organization"
    assert x.entity("妇联").iri != x.entity("天津市妇联").iri
    assert ("妇联", "runs", "巾帼建功") in x.relations


def test_body_named_relative_to_the_region(extract: Callable) -> None:
    text = "市委高度重视妇女工作，深化“巾帼建功”行动。"
    x = extract(text + AUTHOR)
    assert "市委" in x.entity("天津市委").aliases and "市委" not in x.entities
    plain = extract(text)
    assert plain.entities.get("市委") == "Organization" and "天津市委" not in plain.entities


def test_entity_iri_is_stable_and_class_scoped() -> None:
    iri = entity_iri("Programme", "津帼众创")
    assert iri == entity_iri("Programme", "津帼众创") == DEFAULT_BASE + "programme/%E6%B4%A5%E5%B8%BC%E4%BC%97%E5%88%9B"
    assert entity_iri("Programme", "“津帼众创”") == iri  # quotation marks are not part of a name
    assert entity_iri("Principle", "津帼众创") != iri
    assert entity_iri("Programme", "津帼众创", "http://example.org/id/").startswith("http://example.org/id/programme/")


@pytest.mark.parametrize(
    ("label", "decoded"),
    [
        ("互联网 + 妇联", "互联网+妇联"),
        ("互联网＋妇联", "互联网+妇联"),
        ('a<b>"c', "a<b>c"),
        ("专职+挂职/兼职#1?", "专职+挂职/兼职#1?"),
        ("《共青团中央改革方案》", "共青团中央改革方案"),
    ],
)
def test_entity_iri_is_percent_encoded(label: str, decoded: str) -> None:
    iri = entity_iri("Policy", label)
    tail = iri.removeprefix(DEFAULT_BASE + "policy/")
    assert not _BAD_IRI_CHARS.search(iri)
    assert "/" not in tail and "#" not in tail and "?" not in tail
    assert unquote(tail) == decoded


def test_normalise_label() -> None:
    assert normalise_label("“ＡＢＣ１２３”") == "ABC123"
    assert normalise_label("《共青团中央 改革方案》") == "共青团中央改革方案"
    assert normalise_label("妇联，工会") == "妇联，工会"  # Chinese punctuation other than quotes stays


def test_iris_of_the_dev_graph_are_clean(dev_build: BuildResult) -> None:
    nodes = {t for triple in dev_build.graph for t in triple if isinstance(t, URIRef)}
    assert nodes
    bad = [n for n in nodes if _BAD_IRI_CHARS.search(str(n))]
    assert not bad, bad[:5]


def test_one_entity_per_class_and_label(dev_build: BuildResult) -> None:
    for dg in dev_build.documents:
        keys = [(e.cls, e.label) for e in dg.entities]
        assert len(keys) == len(set(keys)), dg.document.id
        iris = [e.iri for e in dg.entities]
        assert len(iris) == len(set(iris))
        for e in dg.entities:
            # bodies named only locally (政府, 妇联 …) are one node per document
            assert e.iri in (entity_iri(e.cls, e.label), entity_iri(e.cls, e.label, scope=dg.document.id))
            assert e.label not in e.aliases


def test_local_bodies_stay_distinct_across_documents(extractor) -> None:  # type: ignore[no-untyped-def]
    from kg.ingest import make_document

    a = extractor.extract(make_document("a", "党中央高度重视。市政府要深化“放管服”改革，政府要加强服务。"))
    b = extractor.extract(make_document("b", "党中央作出部署。政府要优化营商环境。"))
    iri = {(d.document.id, e.label): e.iri for d in (a, b) for e in d.entities if e.cls == "Organization"}
    assert iri[("a", "党中央")] == iri[("b", "党中央")]  # a national body is one node
    assert iri[("a", "政府")] != iri[("b", "政府")]  # "the government" of two texts are two bodies
