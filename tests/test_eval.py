"""``kg.evaluate.score`` gives the reference scorer's figures; ``kg eval --json`` prints them."""

from __future__ import annotations

import importlib.util
import json
import warnings
from pathlib import Path
from types import ModuleType

import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from kg import evaluate, pipeline
from kg.cli import main
from kg.vocab import KG


@pytest.fixture(scope="session")
def reference_scorer(shared: Path) -> ModuleType:
    path = shared / "eval" / "score.py"
    spec = importlib.util.spec_from_file_location("reference_score", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference_figures(scorer: ModuleType, graph_file: Path, gold: list[Path]) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # score.py leaves its gold files to the GC
        return scorer.score(str(graph_file), [str(g) for g in gold])


def test_figures_equal_the_reference_on_the_reference_article(
    reference_scorer: ModuleType, reference_build: pipeline.BuildResult, reference_out: Path, reference_gold: Path
) -> None:
    expected = reference_figures(reference_scorer, reference_out / "graph.ttl", [reference_gold])
    assert evaluate.score(reference_build.graph, [reference_gold]).figures == expected
    assert expected["pred_nodes"] > 0 and expected["gold_rels"] > 0


def test_figures_equal_the_reference_on_the_nt_export(
    reference_scorer: ModuleType, reference_out: Path, reference_gold: Path
) -> None:
    expected = reference_figures(reference_scorer, reference_out / "graph.nt", [reference_gold])
    assert evaluate.score(evaluate.load_graph(reference_out / "graph.nt"), [reference_gold]).figures == expected


def test_figures_equal_the_reference_on_the_dev_documents(
    reference_scorer: ModuleType, dev_build: pipeline.BuildResult, dev_gold: list[Path]
) -> None:
    graph_file = dev_build.written[0]
    expected = reference_figures(reference_scorer, graph_file, dev_gold)
    assert evaluate.score(dev_build.graph, dev_gold).figures == expected
    assert expected["gold_entities"] > 100


def test_kg_eval_json_prints_the_same_figures(
    capsys: pytest.CaptureFixture[str], reference_scorer: ModuleType, reference_out: Path, reference_gold: Path
) -> None:
    assert main(["eval", str(reference_gold), "--graph", str(reference_out), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == reference_figures(reference_scorer, reference_out / "graph.ttl", [reference_gold])


def test_kg_eval_report_lists_misses(capsys: pytest.CaptureFixture[str], reference_out: Path, reference_gold: Path) -> None:
    assert main(["eval", str(reference_gold), "--graph", str(reference_out)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("entities   P ") and "missed entities:" in out and "false relations" in out


def test_kg_eval_missing_gold_exits_2(capsys: pytest.CaptureFixture[str], reference_out: Path, tmp_path: Path) -> None:
    assert main(["eval", str(tmp_path / "no.json"), "--graph", str(reference_out)]) == 2
    assert "no.json" in capsys.readouterr().err


def _node(g: Graph, name: str, cls: str, *labels: str) -> URIRef:
    node = URIRef(f"http://example.org/{name}")
    g.add((node, RDF.type, KG[cls]))
    g.add((node, SKOS.prefLabel, Literal(labels[0], lang="zh")))
    for alt in labels[1:]:
        g.add((node, SKOS.altLabel, Literal(alt, lang="zh")))
    return node


def test_score_by_hand(tmp_path: Path) -> None:
    """Four gold entities (one optional); three scored nodes, one of the wrong type."""
    gold = tmp_path / "g.json"
    gold.write_text(json.dumps({
        "document": "x.txt",
        "entities": [
            {"label": "天津市妇联", "type": "Organization", "aliases": ["妇联"]},
            {"label": "津帼众创", "type": "Programme", "aliases": []},
            {"label": "巾帼创新创业行动", "type": "Programme", "aliases": []},
            {"label": "创新发展", "type": "Principle", "aliases": [], "optional": True},
        ],
        "relations": [["天津市妇联", "runs", "津帼众创"], ["津帼众创", "partOf", "巾帼创新创业行动"]],
    }, ensure_ascii=False), "utf-8")  # fmt: skip
    g = Graph()
    org = _node(g, "a", "Organization", "妇联")  # matched through a gold alias
    brand = _node(g, "b", "Programme", "“津帼众创”")  # quotation marks are ignored
    wrong = _node(g, "c", "Principle", "巾帼创新创业行动")  # wrong type: a false positive and a miss
    _node(g, "d", "Principle", "创新发展")  # optional: neither right nor wrong
    _node(g, "e", "TargetGroup", "妇女")  # not a scored type
    g.add((org, KG.runs, brand))
    g.add((brand, KG.partOf, wrong))
    f = evaluate.score(g, [gold]).figures
    assert (f["pred_nodes"], f["gold_entities"], f["pred_rels"], f["gold_rels"]) == (4, 3, 2, 2)
    assert (f["entity_p"], f["entity_r"], f["entity_f1"]) == (0.667, 0.667, 0.667)
    assert (f["rel_p"], f["rel_r"], f["rel_f1"]) == (0.5, 0.5, 0.5)
    assert f["missed_sample"] == ["巾帼创新创业行动"]
