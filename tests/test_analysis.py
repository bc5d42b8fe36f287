"""networkx analytics on the reference article: the entity graph, paths with evidence, centrality, communities, export."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from rdflib import Graph

from kg import analysis, pipeline
from kg.cli import main
from kg.vocab import RELATIONS, term

Capsys = pytest.CaptureFixture[str]


def run(capsys: Capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def graph(reference_build: pipeline.BuildResult) -> Graph:
    return reference_build.graph


@pytest.fixture(scope="module")
def g(graph: Graph) -> nx.MultiDiGraph:
    return analysis.to_networkx(graph)


def test_only_entities_and_the_ten_relations(graph: Graph, g: nx.MultiDiGraph) -> None:
    types = {d["type"] for _, d in g.nodes(data=True)}
    assert types and not types & {"Document", "Sentence", "Mention", "Assertion"}
    assert {k for _, _, k in g.edges(keys=True)} <= set(RELATIONS)
    relation_triples = {(str(s), p, str(o)) for p in RELATIONS for s, o in graph.subject_objects(term(p))}
    assert {(s, k, o) for s, o, k in g.edges(keys=True)} == relation_triples
    labels = {d["label"] for _, d in g.nodes(data=True)}
    assert {"天津市妇联", "津帼众创", "五大发展理念"} <= labels


def test_path_from_the_brand_to_the_five_ideas_with_evidence(graph: Graph, g: nx.MultiDiGraph) -> None:
    hops = analysis.shortest_path(g, graph, "津帼众创", "五大发展理念")
    assert [(h["from"], h["property"], h["to"]) for h in hops] == [("津帼众创", "guidedBy", "创新发展"),
                                                                  ("五大发展理念", "hasComponent", "创新发展")]  # fmt: skip
    assert [h["direction"] for h in hops] == ["->", "<-"]
    for h in hops:
        ev = h["evidence"][0]
        assert ev["doc"] == "000_56f2f42b0c68c09b" and ev["start"] < ev["end"] and ev["rule"]
        assert "创新发展" in ev["sentence"]
    assert analysis.shortest_path(g, graph, "津帼众创", "津帼众创") == []
    with pytest.raises(ValueError, match="no entity labelled '没有'"):
        analysis.shortest_path(g, graph, "津帼众创", "没有")


def test_centrality(g: nx.MultiDiGraph) -> None:
    degree = analysis.centrality(g, top=5)
    assert degree[0]["label"] == "天津市妇联" and degree[0]["rank"] == 1
    assert [r["score"] for r in degree] == sorted((r["score"] for r in degree), reverse=True)
    pagerank = analysis.centrality(g, measure="pagerank", top=len(g))
    assert pagerank[0]["label"] == "天津市妇联" and sum(r["score"] for r in pagerank) == pytest.approx(1.0, abs=1e-3)
    programmes = analysis.centrality(g, top=100, type="Programme")
    assert programmes and {r["type"] for r in programmes} == {"Programme"}
    with pytest.raises(ValueError, match="unknown centrality measure"):
        analysis.centrality(g, measure="closeness")


def test_neighbourhood(graph: Graph, g: nx.MultiDiGraph) -> None:
    near = analysis.neighbourhood(g, graph, "津帼众创")
    found = {n["label"]: n["distance"] for n in near["nodes"]}
    assert found["津帼众创"] == 0 and {"创新发展", "巾帼创新创业行动", "天津市妇联"} <= {k for k, d in found.items() if d == 1}
    assert {"from": "津帼众创", "property": "partOf", "to": "巾帼创新创业行动"} in near["edges"]
    assert max(n["distance"] for n in analysis.neighbourhood(g, graph, "津帼众创", depth=2)["nodes"]) == 2


def test_communities_are_stable_and_group_the_five_ideas(g: nx.MultiDiGraph) -> None:
    first, second = analysis.communities(g, seed=7), analysis.communities(g, seed=7)
    assert first == second and first
    assert [c["size"] for c in first] == sorted((c["size"] for c in first), reverse=True)
    home = [c for c in first if "五大发展理念" in {m["label"] for m in c["members"]}]
    five = {"创新发展", "协调发展", "绿色发展", "开放发展", "共享发展"}
    assert home and len(five & {m["label"] for m in home[0]["members"]}) >= 3


def test_compare_documents(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("深化“巾帼建功”行动，打造“津门巧娘”品牌。\n（作者为天津市妇联主席）\n", "utf-8")
    (tmp_path / "b.txt").write_text("深化“巾帼建功”行动，开展“美丽庭院”创建。\n（作者为天津市妇联主席）\n", "utf-8")
    graph = pipeline.build([tmp_path / "a.txt", tmp_path / "b.txt"]).graph
    diff = analysis.compare_documents(analysis.to_networkx(graph), graph, "a", "b")
    assert {"天津市妇联", "巾帼建功"} <= {r["label"] for r in diff["shared"]}
    assert "津门巧娘" in {r["label"] for r in diff["only_first"]} and "津门巧娘" not in {r["label"] for r in diff["shared"]}
    assert {"from": "天津市妇联", "property": "runs", "to": "巾帼建功"} in diff["shared_relations"]
    with pytest.raises(ValueError, match="no document 'c'"):
        analysis.compare_documents(analysis.to_networkx(graph), graph, "a", "c")


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_export_reads_back(g: nx.MultiDiGraph, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"g.{fmt}"
    path.write_bytes(analysis.export(g, fmt))
    back = nx.read_graphml(path) if fmt == "graphml" else nx.read_gexf(path)
    assert back.number_of_nodes() == g.number_of_nodes() and back.number_of_edges() == g.number_of_edges()
    assert {d["label"] for _, d in back.nodes(data=True)} == {d["label"] for _, d in g.nodes(data=True)}


# --------------------------------------------------------------------------- the command line


def test_analyze_commands(capsys: Capsys, reference_out: Path) -> None:
    code, out, err = run(capsys, "analyze", reference_out, "path", "津帼众创", "五大发展理念")
    assert code == 0, err
    assert "1. 津帼众创 guidedBy 创新发展" in out and "2. 五大发展理念 hasComponent 创新发展" in out
    assert "000_56f2f42b0c68c09b [" in out
    code, out, _ = run(capsys, "analyze", reference_out, "path", "津帼众创", "五大发展理念", "--json")
    assert [h["property"] for h in json.loads(out)] == ["guidedBy", "hasComponent"]
    code, out, _ = run(capsys, "analyze", reference_out, "centrality", "--measure", "pagerank", "--top", "3")
    assert code == 0 and out.splitlines()[2].split()[:2] == ["1", "天津市妇联"]
    code, out, _ = run(capsys, "analyze", reference_out, "communities", "--json")
    assert code == 0 and json.loads(out)[0]["community"] == 1
    code, out, _ = run(capsys, "analyze", reference_out, "neighbours", "津帼众创", "--depth", "1")
    assert code == 0 and "巾帼创新创业行动" in out
    code, out, _ = run(capsys, "analyze", reference_out, "compare", "000_56f2f42b0c68c09b", "000_56f2f42b0c68c09b", "--json")
    assert code == 0 and not json.loads(out)["only_first"]


def test_analyze_errors_are_one_line(capsys: Capsys, reference_out: Path) -> None:
    for argv in (["path", "津帼众创", "没有这个"], ["neighbours", "没有这个"], ["compare", "000_56f2f42b0c68c09b", "nope"]):
        code, _, err = run(capsys, "analyze", reference_out, *argv)
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    code, _, err = run(capsys, "analyze", reference_out / "missing.ttl", "centrality")
    assert code == 2 and "missing.ttl" in err


def test_export_command(capsys: Capsys, reference_out: Path, tmp_path: Path) -> None:
    code, out, err = run(capsys, "export", reference_out, "--format", "gexf", "--out", tmp_path)
    assert code == 0 and (tmp_path / "graph.gexf").is_file(), err
    assert nx.read_gexf(tmp_path / "graph.gexf").number_of_nodes() > 50
