"""Saved queries: the library, safe parameter binding, result formats, and the same answers from a graph and a store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from kg import pipeline, queries, query, store
from kg.cli import main

Capsys = pytest.CaptureFixture[str]

ORG_TEXT = "深化“巾帼建功”行动，打造“津门巧娘”品牌，强化“春风送暖”慈善品牌。\n（作者为天津市妇联主席）\n"
INJECTIONS = ['" || true || "', '天津市妇联"@zh } UNION { ?o ?x ?y', "x' || 1=1 --", '"; DROP ALL; #']
EXAMPLES = {  # sample parameters for every saved query on the reference article
    "programmes-of-organisation": {"org": "天津市妇联"},
    "guided-by-principle": {"principle": "五大发展理念"},
    "goals": {},
    "evidence": {"subject": "津帼众创"},
    "document-entities": {"doc": "000_56f2f42b0c68c09b"},
    "shared-entities": {"doc1": "000_56f2f42b0c68c09b", "doc2": "000_56f2f42b0c68c09b"},
    "centrality": {"type": "Programme"},
    "components": {"of": "五大发展理念"},
}


def run(capsys: Capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def rows(capsys: Capsys, graph: Path, name: str, **params: str) -> list[dict[str, str]]:
    """A saved query through ``kg query --name … --format json``, as {var: value} rows."""
    args: list[object] = ["query", graph, "--name", name, "--format", "json"]
    for k, v in params.items():
        args += ["--param", f"{k}={v}"]
    code, out, err = run(capsys, *args)
    assert code == 0, err
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(out)["results"]["bindings"]]


@pytest.fixture(scope="module")
def org_graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-sentence document built to a folder: 天津市妇联 runs three programmes."""
    folder = tmp_path_factory.mktemp("org")
    (folder / "org.txt").write_text(ORG_TEXT, "utf-8")
    pipeline.build([folder / "org.txt"], out=folder / "out", html=False)
    return folder / "out"


@pytest.fixture(scope="module")
def reference_store(reference_build: pipeline.BuildResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("refstore") / "store"
    store.write_documents(folder, reference_build.documents)
    return folder


# --------------------------------------------------------------------------- the library


def test_every_saved_query_is_documented_and_parses() -> None:
    lib = queries.library()
    assert set(EXAMPLES) <= set(lib)
    for q in lib.values():
        assert q.description, q.name
        assert q.examples, f"{q.name}: no # example: line"
        for p in q.params:
            assert p.doc and p.kind in queries.KINDS, (q.name, p)
        Graph().query(query.PREFIXES + q.text)  # parses under rdflib


def test_a_header_naming_no_variable_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.rq"
    bad.write_text("# Bad.\n# param: nope (label) — not in the query\nSELECT ?x WHERE { ?x ?p ?o }\n", "utf-8")
    with pytest.raises(query.QueryError, match="bad.rq: parameter 'nope' is not a variable"):
        queries.parse(bad)
    bad.write_text("# Bad.\n# param: x (colour) — a kind that does not exist\nSELECT ?x WHERE { ?x ?p ?o }\n", "utf-8")
    with pytest.raises(query.QueryError, match="unknown kind 'colour'"):
        queries.parse(bad)


def test_values_become_terms_of_their_kind() -> None:
    q = queries.get("evidence")
    b = q.bind({"subject": "津帼众创", "property": "kg:partOf"})
    assert b == {"subject": Literal("津帼众创", lang="zh"), "property": URIRef("https://w3id.org/kg-policy/ontology#partOf")}
    assert queries.get("document-entities").bind({"doc": "x"}) == {"doc": Literal("x")}
    with pytest.raises(queries.ParameterError, match="takes one of runs"):
        q.bind({"property": "rdf:type"})
    with pytest.raises(queries.ParameterError, match="needs --param doc="):
        queries.get("document-entities").bind({})
    with pytest.raises(queries.ParameterError, match="KEY=VALUE"):
        queries.split_params(["nokey"])


def test_inline_values_open_the_outer_where_clause() -> None:
    text = '# { not this\nSELECT ?x WHERE { ?x ?p "{" . { SELECT ?y WHERE { ?y ?q ?r } } }'
    out = queries.inline_values(text, {"p": "<http://e/p>"})
    assert out.split()[:14] == "# { not this SELECT ?x WHERE { VALUES ?p { <http://e/p> } ?x".split()
    assert queries.keywords("SELECT * { \\u0053ERVICE <http://e> {} }").count("SERVICE") == 1
    assert "SERVICE" not in queries.keywords('SELECT ?service { ?s <http://e/SERVICE> "SERVICE" } # SERVICE')


# --------------------------------------------------------------------------- safe binding


@pytest.mark.parametrize("value", INJECTIONS)
def test_an_injected_value_is_only_a_label_that_matches_nothing(capsys: Capsys, org_graph: Path, value: str) -> None:
    found = {r["programme"] for r in rows(capsys, org_graph, "programmes-of-organisation", org="天津市妇联")}
    assert found >= {"巾帼建功", "津门巧娘"}
    assert rows(capsys, org_graph, "programmes-of-organisation", org=value) == []
    assert rows(capsys, org_graph, "document-entities", doc=value) == []


def test_an_injected_value_matches_nothing_in_a_store_either(capsys: Capsys, org_graph: Path, tmp_path: Path) -> None:
    built = pipeline.build([org_graph.parent / "org.txt"])
    store.write_documents(tmp_path / "s", built.documents)
    assert rows(capsys, tmp_path / "s", "programmes-of-organisation", org="天津市妇联")
    for value in INJECTIONS:
        assert rows(capsys, tmp_path / "s", "programmes-of-organisation", org=value) == []


# --------------------------------------------------------------------------- formats


def test_formats_table_csv_tsv_json(capsys: Capsys, org_graph: Path) -> None:
    base = ["query", org_graph, "--name", "programmes-of-organisation", "--param", "org=天津市妇联"]
    code, table, _ = run(capsys, *base)
    assert code == 0 and table.splitlines()[0].split() == ["programme", "sentence"] and "津门巧娘" in table
    code, out, _ = run(capsys, *base, "--format", "csv")
    parsed = list(csv.reader(io.StringIO(out)))
    assert parsed[0] == ["programme", "sentence"] and any(r[0] == "津门巧娘" for r in parsed[1:])
    code, out, _ = run(capsys, *base, "--format", "tsv")
    lines = out.splitlines()
    assert lines[0] == "?programme\t?sentence" and '"津门巧娘"@zh' in [line.split("\t")[0] for line in lines[1:]]
    code, out, _ = run(capsys, *base, "--format", "json")
    data = json.loads(out)
    assert data["head"]["vars"] == ["programme", "sentence"]
    assert {"type": "literal", "value": "津门巧娘", "xml:lang": "zh"} in [b["programme"] for b in data["results"]["bindings"]]


def test_tsv_escapes_tabs_and_line_breaks() -> None:
    g = Graph()
    g.add((URIRef("http://e/s"), URIRef("http://e/p"), Literal('a\tb\n"c"')))
    g.add((URIRef("http://e/s"), URIRef("http://e/n"), Literal(5)))
    out = query.format_result(query.run(g, "SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o"), "tsv")
    assert out.splitlines()[1:] == ['"5"^^<http://www.w3.org/2001/XMLSchema#integer>', '"a\\tb\\n\\"c\\""']


def test_query_errors_are_one_line(capsys: Capsys, org_graph: Path) -> None:
    for args, needle in [
        (["--name", "nope"], "no saved query 'nope'; there are:"),
        (["--name", "goals", "--param", "colour=red"], "has no parameter 'colour'"),
        (["--name", "document-entities"], "needs --param doc="),
        (["--name", "centrality", "--param", "type=Nothing"], "parameter 'type' takes one of"),
        (["SELECT * WHERE { ?s ?p ?o }", "--name", "goals"], "give one of"),
    ]:
        code, _, err = run(capsys, "query", org_graph, *args)
        assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, err


def test_list_shows_every_query_and_parameter(capsys: Capsys) -> None:
    code, out, _ = run(capsys, "query", "--list")
    assert code == 0
    for name, params in EXAMPLES.items():
        assert f"{name}:" in out
        for p in params:
            assert f"--param {p}=" in out


# --------------------------------------------------------------------------- answers on the reference article


def test_competency_questions(capsys: Capsys, reference_out: Path) -> None:
    progs = {r["programme"] for r in rows(capsys, reference_out, "programmes-of-organisation", org="天津市妇联")}
    assert {"巾帼和谐筑梦", "巾帼创新创业行动", "津帼众创", "千村美院", "美家美院"} <= progs
    assert {"最美家庭", "儿童之家", "阳光关爱", "互联网+妇联"} <= progs
    green = rows(capsys, reference_out, "guided-by-principle", principle="绿色发展", type="Programme")
    assert {r["entity"] for r in green} == {"千村美院", "美家美院"}
    five = rows(capsys, reference_out, "guided-by-principle", principle="五大发展理念")
    assert {("津帼众创", "创新发展"), ("千村美院", "绿色发展")} <= {(r["entity"], r["via"]) for r in five}
    members = {r["member"] for r in rows(capsys, reference_out, "components", of="五大发展理念")}
    assert members == {"创新发展", "协调发展", "绿色发展", "开放发展", "共享发展"}
    goals = {(r["pursuer"], r["goal"]) for r in rows(capsys, reference_out, "goals") if not r.get("via")}
    assert {("运行机制改革", "贴近妇女需求"), ("组织设置改革", "扩大有效覆盖"), ("干部管理改革", "提升工作活力")} <= goals
    (ev,) = rows(capsys, reference_out, "evidence", subject="津帼众创", property="partOf", object="巾帼创新创业行动")
    assert "打造“津帼众创”品牌" in ev["sentence"] and int(ev["start"]) < int(ev["end"])
    top = rows(capsys, reference_out, "centrality")
    assert top[0]["entity"] == "天津市妇联" and int(top[0]["degree"]) > int(top[1]["degree"])
    ents = rows(capsys, reference_out, "document-entities", doc="000_56f2f42b0c68c09b")
    assert {"天津市妇联", "津帼众创", "五大发展理念"} <= {r["entity"] for r in ents}
    assert rows(capsys, reference_out, "document-entities", doc="no-such-document") == []


def test_shared_entities_of_two_documents(capsys: Capsys, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ORG_TEXT, "utf-8")
    (tmp_path / "b.txt").write_text("深化“巾帼建功”行动，开展“美丽庭院”创建。\n（作者为天津市妇联主席）\n", "utf-8")
    pipeline.build([tmp_path / "a.txt", tmp_path / "b.txt"], out=tmp_path / "out", html=False)
    shared = rows(capsys, tmp_path / "out", "shared-entities", doc1="a", doc2="b")
    entities = {r["what"] for r in shared if r["kind"] == "entity"}
    assert {"天津市妇联", "巾帼建功"} <= entities and "津门巧娘" not in entities
    assert "天津市妇联 runs 巾帼建功" in {r["what"] for r in shared if r["kind"] == "relation"}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_a_store_answers_as_the_graph_does(capsys: Capsys, reference_out: Path, reference_store: Path, name: str) -> None:
    from_graph = rows(capsys, reference_out, name, **EXAMPLES[name])
    from_store = rows(capsys, reference_store, name, **EXAMPLES[name])
    assert from_graph, name
    assert sorted(map(sorted, (r.items() for r in from_store))) == sorted(map(sorted, (r.items() for r in from_graph)))
