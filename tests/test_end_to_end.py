"""The reference article answers the competency questions (shared/eval/COMPETENCY.md) by SPARQL;
the dev set builds; the scores stay above a regression floor."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rdflib import Graph

from kg import evaluate, pipeline, query
from kg.cli import main
from kg.resources import data_dir

REPO = Path(__file__).resolve().parents[1]

ORG = "天津市妇联"


def select(g: Graph, text: str, **labels: str) -> set[str]:
    """The single variable of ``text`` for every answer, as strings; ``$name`` binds a label."""
    for name, label in labels.items():
        text = text.replace(f"${name}", f'"{label}"@zh')
    return {str(row[0]) for row in query.run(g, text)}


def objects(g: Graph, subject: str, prop: str) -> set[str]:
    return select(g, f"SELECT ?l WHERE {{ ?s skos:prefLabel $s ; kg:{prop} ?o . ?o skos:prefLabel ?l }}", s=subject)


def subjects(g: Graph, prop: str, obj: str) -> set[str]:
    return select(g, f"SELECT ?l WHERE {{ ?s kg:{prop} ?o ; skos:prefLabel ?l . ?o skos:prefLabel $o }}", o=obj)


def test_programmes_the_federation_runs(reference_build: pipeline.BuildResult) -> None:
    runs = objects(reference_build.graph, ORG, "runs")
    expected = {
        "巾帼和谐筑梦",
        "巾帼创新创业行动",
        "津帼众创",
        "千村美院",
        "美家美院",
        "最美家庭",
        "儿童之家",
        "阳光关爱",
        "互联网+妇联",
    }
    assert expected <= runs


def test_five_development_ideas_and_their_components(reference_build: pipeline.BuildResult) -> None:
    components = objects(reference_build.graph, "五大发展理念", "hasComponent")
    assert components == {"创新发展", "协调发展", "绿色发展", "开放发展", "共享发展"}


def test_green_development_guides_the_village_programmes(reference_build: pipeline.BuildResult) -> None:
    assert {"千村美院", "美家美院"} <= subjects(reference_build.graph, "guidedBy", "绿色发展")


def test_leader_principles_and_roles_of_the_federation(reference_build: pipeline.BuildResult) -> None:
    g = reference_build.graph
    assert "中国共产党" in objects(g, ORG, "ledBy")
    assert {"政治性", "先进性", "群众性"} <= objects(g, ORG, "guidedBy")
    assert {"引导者", "组织者", "服务者"} <= objects(g, ORG, "hasRole")


def test_reforms_pursue_their_goals(reference_build: pipeline.BuildResult) -> None:
    g = reference_build.graph
    assert "贴近妇女需求" in objects(g, "运行机制改革", "pursues")
    assert "扩大有效覆盖" in objects(g, "组织设置改革", "pursues")
    assert "提升工作活力" in objects(g, "干部管理改革", "pursues")


def test_sunshine_care_serves_women_and_children_in_need(reference_build: pipeline.BuildResult) -> None:
    assert "困难妇女儿童" in objects(reference_build.graph, "阳光关爱", "serves")


def test_brand_is_part_of_the_action_with_its_evidence(reference_build: pipeline.BuildResult) -> None:
    g = reference_build.graph
    assert objects(g, "津帼众创", "partOf") == {"巾帼创新创业行动"}
    rows = list(query.run(g, """
        SELECT ?sentence ?sstart ?send ?start ?end WHERE {
          ?a rdf:subject ?b ; rdf:predicate kg:partOf ; rdf:object ?w ;
             kg:inSentence ?s ; kg:startOffset ?start ; kg:endOffset ?end .
          ?b skos:prefLabel "津帼众创"@zh . ?w skos:prefLabel "巾帼创新创业行动"@zh .
          ?s kg:text ?sentence ; kg:startOffset ?sstart ; kg:endOffset ?send .
        }"""))  # fmt: skip
    assert len(rows) == 1
    sentence, sstart, send, start, end = (x.toPython() for x in rows[0])
    text = reference_build.documents[0].document.text
    assert "打造“津帼众创”品牌" in sentence and text[sstart:send] == sentence
    assert sstart <= start < end <= send
    assert text[start:end] in sentence and text[start:end]


def test_related_articles_contribute_no_entity(reference_build: pipeline.BuildResult) -> None:
    text = reference_build.documents[0].document.text
    related = re.search(r"^.*\|\s*2014-05-04\s*\|", text, re.MULTILINE)
    assert related
    starts = {int(s) for s in select(reference_build.graph, "SELECT ?start WHERE { ?m a kg:Mention ; kg:startOffset ?start }")}
    assert starts and max(starts) < related.start()
    # no entity bears the name of a related article either
    for name in ("三严三实", "一线总指挥", "三唯", "中国梦"):
        assert not select(reference_build.graph, f'SELECT ?e WHERE {{ ?e skos:prefLabel ?l FILTER(CONTAINS(?l, "{name}")) }}')


def test_the_whole_dev_set_builds(dev_build: pipeline.BuildResult, dev_paths: list[Path]) -> None:
    assert not dev_build.errors
    assert [dg.document.id for dg in dev_build.documents] == [p.stem for p in dev_paths]
    for dg in dev_build.documents:
        assert len(dg.entities) >= 10 and len(dg.relations) >= 5, dg.document.id
    assert len(dev_build.graph) > 1000


def test_reference_scores_stay_above_the_floor(reference_build: pipeline.BuildResult, reference_gold: Path) -> None:
    f = evaluate.score(reference_build.graph, [reference_gold]).figures
    assert f["entity_f1"] >= 0.90, f
    assert f["rel_f1"] >= 0.75, f


def saved_query(capsys: pytest.CaptureFixture[str], graph: Path, name: str) -> list[dict[str, str]]:
    """Run ``ontology/queries/NAME.rq`` through ``kg query --file``; the rows as {var: value}."""
    assert main(["query", str(graph), "--file", str(data_dir() / "queries" / f"{name}.rq"), "--format", "json"]) == 0
    bindings = json.loads(capsys.readouterr().out)["results"]["bindings"]
    return [{k: v["value"] for k, v in row.items()} for row in bindings]


def test_saved_queries_answer_on_the_reference_graph(capsys: pytest.CaptureFixture[str], reference_out: Path) -> None:
    rows = saved_query(capsys, reference_out, "components")
    assert {r["member"] for r in rows if r["whole"] == "五大发展理念"} == {
        "创新发展",
        "协调发展",
        "绿色发展",
        "开放发展",
        "共享发展",
    }
    rows = saved_query(capsys, reference_out, "programmes-of-organisation")
    assert any(r["programme"] == "津帼众创" and "打造“津帼众创”品牌" in r["sentence"] for r in rows)
    rows = saved_query(capsys, reference_out, "evidence")
    (row,) = [r for r in rows if (r["s"], r["p"].split("#")[-1], r["o"]) == ("津帼众创", "partOf", "巾帼创新创业行动")]
    assert "打造“津帼众创”品牌" in row["sentence"] and int(row["start"]) < int(row["end"])


def test_the_bundled_example_builds_without_the_shared_corpus(tmp_path: Path) -> None:
    example = REPO / "examples"
    if not any(example.glob("*.txt")):
        pytest.skip("no bundled example in examples/")
    result = pipeline.build([example], out=tmp_path, html=False)
    assert not result.errors and result.documents
    g = result.graph
    assert {"青春河西", "河西青年说"} <= objects(g, "河西区团委", "runs")
    assert {"政治性", "先进性", "群众性"} <= objects(g, "河西区团委", "guidedBy")
