"""The HTML viewer: offline, deterministic, escaped; the page's data matches the graph."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from kg import viewer
from kg.vocab import KG

BASE = "https://w3id.org/kg-policy/id/"
DOC = URIRef(f"{BASE}doc/tj")
FED = URIRef(f"{BASE}organization/%E5%A4%A9%E6%B4%A5%E5%B8%82%E5%A6%87%E8%81%94")
PROG = URIRef(f"{BASE}programme/%E6%B4%A5%E5%B8%BC%E4%BC%97%E5%88%9B")
TEXT = "天津市妇联深化津帼众创品牌。"  # the sentence starts at offset 100 of the document
XSS = (
    "<script>window.__xss=1</script>",
    "<img src=x onerror=window.__xss=2>",
    "javascript:window.__xss=3",
    '<a href="javascript:window.__xss=4">点我</a>',
)


def entity(g: Graph, iri: URIRef, cls: URIRef, label: str, *aliases: str) -> None:
    g.add((iri, RDF.type, cls))
    g.add((iri, SKOS.prefLabel, Literal(label, lang="zh")))
    for a in aliases:
        g.add((iri, SKOS.altLabel, Literal(a, lang="zh")))
    g.add((iri, PROV.wasDerivedFrom, DOC))


def sentence(g: Graph, index: int, start: int, text: str, doc: URIRef = DOC) -> URIRef:
    s = URIRef(f"{doc}/s/{index}")
    g.add((s, RDF.type, KG.Sentence))
    g.add((s, KG.inDocument, doc))
    g.add((s, KG.startOffset, Literal(start)))
    g.add((s, KG.endOffset, Literal(start + len(text))))
    g.add((s, KG.text, Literal(text, lang="zh")))
    return s


def mention(g: Graph, ent: URIRef, sent: URIRef, start: int, surface: str, doc: URIRef = DOC) -> None:
    m = URIRef(f"{doc}/m/{start}-{start + len(surface)}")
    g.add((m, RDF.type, KG.Mention))
    g.add((m, KG.refersTo, ent))
    g.add((m, KG.inSentence, sent))
    g.add((m, KG.inDocument, doc))
    g.add((m, KG.startOffset, Literal(start)))
    g.add((m, KG.endOffset, Literal(start + len(surface))))
    g.add((m, KG.surfaceForm, Literal(surface, lang="zh")))


def relation(g: Graph, s: URIRef, p: URIRef, o: URIRef, sent: URIRef, start: int, end: int, key: str) -> None:
    g.add((s, p, o))
    a = URIRef(f"{DOC}/a/{key}")
    g.add((a, RDF.type, KG.Assertion))
    g.add((a, RDF.subject, s))
    g.add((a, RDF.predicate, p))
    g.add((a, RDF.object, o))
    g.add((a, KG.inSentence, sent))
    g.add((a, KG.inDocument, DOC))
    g.add((a, KG.startOffset, Literal(start)))
    g.add((a, KG.endOffset, Literal(end)))


def small_graph() -> Graph:
    """天津市妇联 runs 津帼众创, with a mention of each and the assertion, in one document."""
    g = Graph()
    g.add((DOC, RDF.type, KG.Document))
    g.add((DOC, DCTERMS.identifier, Literal("tj")))
    g.add((DOC, DCTERMS.title, Literal("天津市妇联改革方案", lang="zh")))
    g.add((DOC, DCTERMS.date, Literal("2017-05-04", datatype=XSD.date)))
    s = sentence(g, 3, 100, TEXT)
    entity(g, FED, KG.Organization, "天津市妇联", "市妇联")
    entity(g, PROG, KG.Programme, "津帼众创")
    mention(g, FED, s, 100, "天津市妇联")
    mention(g, PROG, s, 107, "津帼众创")
    relation(g, FED, KG.runs, PROG, s, 100, 111, "0001")
    return g


def xss_graph() -> Graph:
    """The small graph plus entities, aliases, a title and a sentence made of markup."""
    g = small_graph()
    g.remove((DOC, DCTERMS.title, None))
    g.add((DOC, DCTERMS.title, Literal(XSS[3], lang="zh")))
    text = "".join(XSS) + "。"
    s = sentence(g, 4, 200, text)
    for i, payload in enumerate(XSS):
        iri = URIRef(f"{BASE}programme/x{i}")
        entity(g, iri, KG.Programme, payload, XSS[(i + 1) % len(XSS)])
        mention(g, iri, s, 200 + text.index(payload), payload)
        relation(g, FED, KG.runs, iri, s, 200, 200 + len(text), f"x{i}")
    return g


def page_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', html, re.S)
    assert m is not None
    return json.loads(m.group(1))


def markup(html: str) -> str:
    """The page without the contents of its script elements: what the browser parses as HTML."""
    return re.sub(r"(<script[^>]*>).*?(</script>)", r"\1\2", html, flags=re.S)


@pytest.fixture(scope="module")
def small_page() -> str:
    return viewer.render(small_graph())


@pytest.fixture(scope="module")
def xss_page() -> str:
    return viewer.render(xss_graph())


def test_page_is_self_contained_and_offline(small_page: str) -> None:
    assert small_page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""\b(?:src|href|action|srcset|poster)\s*=""", markup(small_page), re.I)
    assert not re.search(r"""<(?:link|iframe|object|embed|img|base)\b""", markup(small_page), re.I)
    css = "".join(re.findall(r"<style>(.*?)</style>", small_page, re.S))
    assert "url(" in css and not re.search(r"""url\(\s*(?!["']?data:)""", css), "a stylesheet loads a URL"
    assert "@import" not in css
    for cdn in ("bootstrap", "cdnjs", "jsdelivr", "unpkg"):
        assert cdn not in small_page.lower()
    # vis-network is inlined, not linked
    assert "vis-network" in small_page and "new vis.Network" in small_page
    assert markup(small_page).count("<script") == 3  # the data, vis-network, the viewer


def test_content_security_policy_admits_only_the_page_scripts(small_page: str) -> None:
    import base64
    import hashlib

    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', small_page)
    assert csp is not None
    policy = csp.group(1).replace("&#39;", "'")
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    bodies = re.findall(r"<script>(.*?)</script>", small_page, re.S)
    assert len(bodies) == 2
    for body in bodies:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy


def test_same_graph_same_bytes(small_page: str) -> None:
    shuffled = Graph()
    for t in sorted(small_graph(), reverse=True):
        shuffled.add(t)
    assert viewer.render(shuffled) == small_page
    assert viewer.render(small_graph()) == small_page


def test_nodes_edges_and_labels(small_page: str) -> None:
    data = page_data(small_page)
    assert [e["label"] for e in data["entities"]] == ["天津市妇联", "津帼众创"]
    assert len(data["nodes"]) == 2 and data["meta"]["entityCount"] == 2
    fed, prog = data["entities"]
    assert fed["aliases"] == ["市妇联"] and data["classes"][fed["c"]]["key"] == "Organization"
    assert data["classes"][prog["c"]]["zh"] == "项目" and data["classes"][prog["c"]]["en"] == "Programme"
    [edge] = data["edges"]
    assert (edge["from"], edge["to"], edge["label"]) == (0, 1, "开展 runs")
    assert data["docs"] == [{"date": "2017-05-04", "id": "tj", "title": "天津市妇联改革方案"}]
    assert "<title>天津市妇联改革方案</title>" in small_page


def test_evidence_sentences_with_highlighted_mentions(small_page: str) -> None:
    data = page_data(small_page)
    prog = data["entities"][1]
    [[sid, [[a, b]]]] = prog["ev"]
    doc, text = data["sentences"][sid]
    assert text == TEXT and doc == 0 and text[a:b] == "津帼众创"
    [[sid, [[a, b]]]] = data["edges"][0]["ev"]
    assert data["sentences"][sid][1][a:b] == "天津市妇联深化津帼众创"


def test_highlight_offsets_count_utf16_units_and_survive_bad_offsets() -> None:
    g = small_graph()
    s = sentence(g, 9, 300, "𠀀𠀁津帼众创")  # two characters outside the BMP: two UTF-16 units each
    mention(g, PROG, s, 302, "津帼众创")
    g.set((URIRef(f"{DOC}/m/107-111"), KG.startOffset, Literal(999)))  # out of its sentence: fall back
    data = page_data(viewer.render(g))
    ev = dict((sid, ranges) for sid, ranges in data["entities"][1]["ev"])
    texts = [t for _, t in data["sentences"]]
    assert ev[texts.index("𠀀𠀁津帼众创")] == [[4, 8]]
    assert ev[texts.index(TEXT)] == [[7, 11]]  # found by its surface form


def test_document_text_is_never_markup(xss_page: str) -> None:
    for payload in XSS:
        if "<" in payload:
            assert payload not in xss_page
    html = markup(xss_page)
    assert "javascript:" not in html.replace("javascript:window.__xss=4", "")  # only escaped, in the title
    assert "&lt;a href=&#34;javascript:window.__xss=4&#34;&gt;点我&lt;/a&gt;" in html
    tags = re.findall(r"<\s*([a-zA-Z][\w-]*)([^>]*)>", html)
    assert {t for t, _ in tags} <= {"html", "head", "meta", "title", "style", "body", "header", "h1", "div", "aside",
                                    "input", "ul", "section", "h3", "select", "option", "label", "button", "p",
                                    "script"}  # fmt: skip
    assert not any(re.search(r"\b(?:on\w+|href|src)\s*=", attrs, re.I) for _, attrs in tags)
    data = page_data(xss_page)  # the text itself arrives intact, as data
    assert {e["label"] for e in data["entities"]} >= set(XSS)
    assert "".join(XSS) + "。" in [t for _, t in data["sentences"]]
    assert data["docs"][0]["title"] == XSS[3]


def test_heading_is_escaped() -> None:
    html = viewer.render(small_graph(), title="<img src=x onerror=alert(1)>")
    assert "<img" not in html
    assert "<title>&lt;img src=x onerror=alert(1)&gt;</title>" in html


def test_page_script_writes_text_not_html() -> None:
    from importlib import resources

    js = resources.files("kg").joinpath("viewer_assets", "viewer.js").read_text("utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "href"):
        assert sink not in js


def hub_graph(n: int) -> Graph:
    """天津市妇联 runs programmes 项目0..n-1; 项目i partOf 项目i+1 (a chain)."""
    g = small_graph()
    s = URIRef(f"{DOC}/s/3")
    prev = None
    for i in range(n):
        iri = URIRef(f"{BASE}programme/p{i}")
        entity(g, iri, KG.Programme, f"项目{i}", f"别名{i}")
        relation(g, FED, KG.runs, iri, s, 100, 105, f"h{i}")
        if prev is not None:
            relation(g, prev, KG.partOf, iri, s, 100, 105, f"c{i}")
        prev = iri
    return g


def test_top_keeps_the_most_connected() -> None:
    data = page_data(viewer.render(hub_graph(6), top=3))
    labels = [e["label"] for e in data["entities"]]
    assert len(labels) == 3 and "天津市妇联" in labels and "津帼众创" not in labels
    assert data["meta"]["entityCount"] == 8
    assert all(e["from"] < 3 and e["to"] < 3 for e in data["edges"])


def test_focus_draws_a_neighbourhood() -> None:
    g = Graph()
    for t in hub_graph(6):
        if t[0] != FED and t[2] != FED and not (t[1] == RDF.subject and t[2] == FED):
            g.add(t)  # the chain 项目0 - 项目1 - ... - 项目5, plus the isolated 津帼众创
    labels = lambda html: sorted(e["label"] for e in page_data(html)["entities"])  # noqa: E731
    assert labels(viewer.render(g, focus="项目2")) == ["项目1", "项目2", "项目3"]
    assert labels(viewer.render(g, focus="项目2", depth=2)) == ["项目0", "项目1", "项目2", "项目3", "项目4"]
    assert labels(viewer.render(g, focus="别名0", depth=0)) == ["项目0"]
    with pytest.raises(ValueError, match="项目"):
        viewer.render(g, focus="项")


def test_small_graphs_settle_with_bounded_physics(small_page: str) -> None:
    options = page_data(small_page)["options"]
    assert options["physics"]["enabled"] is True
    assert 0 < options["physics"]["stabilization"]["iterations"] <= 200
    assert options["layout"]["improvedLayout"] is False


def test_large_graphs_get_a_layout_and_no_physics() -> None:
    g = hub_graph(viewer.PHYSICS_LIMIT + 20)
    data = page_data(viewer.render(g))
    assert data["options"]["physics"]["enabled"] is False
    positions = {(n["x"], n["y"]) for n in data["nodes"]}
    assert len(positions) == len(data["nodes"]) == viewer.PHYSICS_LIMIT + 22


def test_layout_separates_every_node() -> None:
    pairs = [(0, 1), (0, 2), (2, 3), (4, 5)] + [(6, i) for i in range(7, 60)]
    pos = viewer._layout(70, pairs)
    assert len({tuple(p) for p in pos}) == 70
    assert pos == viewer._layout(70, list(reversed(pairs)))


def test_long_labels_wrap() -> None:
    assert viewer._wrap("津帼众创") == "津帼众创"
    assert viewer._wrap("国家治理体系和治理能力现代化") == "国家治理体系和治\n理能力现代化"
    assert viewer._wrap("互联网+妇联") == "互联网+妇联"
    assert viewer._wrap("一" * 40).count("\n") == 2 and viewer._wrap("一" * 40).endswith("…")


def test_empty_graph() -> None:
    data = page_data(viewer.render(Graph()))
    assert data["nodes"] == [] and data["edges"] == [] and data["docs"] == []


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        viewer.render(small_graph(), top=-1)
    with pytest.raises(ValueError):
        viewer.render(small_graph(), depth=-1)


def test_a_build_draws_from_the_predicates_the_page_reads(tmp_path: Path) -> None:
    """A build draws from the pairs of viewer.READS only, with no rdflib graph: the page is that of
    the whole graph."""
    from kg import pipeline

    built = pipeline.build([Path(__file__).resolve().parents[1] / "examples"], out=tmp_path, formats=("ttl",))
    page = (tmp_path / "graph.html").read_text("utf-8")
    assert len(page_data(page)["nodes"]) > 10
    assert page == viewer.render(built.graph)
    left_out = {str(p) for _, p, _ in built.graph} - viewer.READS
    assert str(KG.confidence) in left_out and left_out <= {str(KG.confidence), str(KG.rule), str(DCTERMS.source)}
