"""The command line: build, query, explain and the user lexicon; exit codes and one-line errors."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import RDF, Graph

from kg import ingest
from kg.cli import main
from kg.vocab import KG

GOOD = "深化“巾帼建功”行动，打造“津门巧娘”品牌，强化“春风送暖”慈善品牌。\n（作者为天津市妇联主席）\n"
RUNS_QUERY = 'SELECT ?label WHERE { ?o skos:prefLabel "天津市妇联"@zh ; kg:runs ?p . ?p skos:prefLabel ?label } ORDER BY ?label'

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    path = tmp_path / "good.txt"
    path.write_text(GOOD, "utf-8")
    return path


@pytest.fixture(scope="module")
def built_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder ``kg build`` wrote for GOOD."""
    folder = tmp_path_factory.mktemp("cli")
    (folder / "good.txt").write_text(GOOD, "utf-8")
    assert main(["build", str(folder / "good.txt"), "--out", str(folder / "out"), "--no-html"]) == 0
    return folder / "out"


def run(capsys: Capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_build_writes_graph_and_viewer_and_prints_counts(capsys: Capsys, good_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "build", good_file, "--out", out)
    assert code == 0, err
    assert (out / "graph.ttl").is_file() and (out / "graph.html").is_file()
    assert "1 document(s)" in stdout
    g = Graph().parse(out / "graph.ttl")
    for cls in ("Organization", "Programme"):
        printed = re.search(rf"^\s+{cls}\s+(\d+)$", stdout, re.MULTILINE)
        assert printed, stdout
        assert int(printed.group(1)) == len(set(g.subjects(RDF.type, KG[cls]))) > 0
    assert re.search(rf"triples\s+{len(g)}$", stdout, re.MULTILINE)


def test_missing_file_is_skipped_with_one_line_and_exit_3(capsys: Capsys, good_file: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "build", missing, good_file, "--out", out, "--no-html")
    assert code == 3
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if str(missing) in line]
    assert len(lines) == 1 and "no such file" in lines[0]
    assert (out / "graph.ttl").is_file() and "1 document(s)" in stdout


def test_only_bad_inputs_exit_2_and_write_nothing(capsys: Capsys, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "build", tmp_path / "missing.txt", empty, "--out", out)
    assert code == 2
    assert "Traceback" not in err and str(empty) in err
    assert not (out / "graph.ttl").exists()


def test_usage_error_from_argparse() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["build"])
    assert exc.value.code == 2


def test_query_json_is_sparql_results_json(capsys: Capsys, built_dir: Path) -> None:
    code, stdout, _ = run(capsys, "query", built_dir, RUNS_QUERY, "--format", "json")
    assert code == 0
    data = json.loads(stdout)
    assert data["head"]["vars"] == ["label"]
    bindings = data["results"]["bindings"]
    assert all(b["label"]["type"] == "literal" and b["label"]["xml:lang"] == "zh" for b in bindings)
    assert [b["label"]["value"] for b in bindings] == ["巾帼建功", "春风送暖", "津门巧娘"]


def test_query_csv(capsys: Capsys, built_dir: Path) -> None:
    code, stdout, _ = run(capsys, "query", built_dir / "graph.ttl", RUNS_QUERY, "--format", "csv")
    assert code == 0
    assert list(csv.reader(io.StringIO(stdout))) == [["label"], ["巾帼建功"], ["春风送暖"], ["津门巧娘"]]


def test_query_from_a_file_as_a_table(capsys: Capsys, built_dir: Path, tmp_path: Path) -> None:
    rq = tmp_path / "runs.rq"
    rq.write_text("# programmes\n" + RUNS_QUERY, "utf-8")
    code, stdout, _ = run(capsys, "query", built_dir, "--file", rq)
    assert code == 0
    assert stdout.splitlines()[0].strip() == "label" and stdout.endswith("(3 rows)\n")


@pytest.mark.parametrize("text", ["SELECT ?x WHERE { ?x ", "INSERT DATA { <urn:a> <urn:b> <urn:c> }"])
def test_bad_or_updating_query_exits_2(capsys: Capsys, built_dir: Path, text: str) -> None:
    code, _, err = run(capsys, "query", built_dir, text)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("kg: error:")


def test_explain_shows_sentence_and_offsets(capsys: Capsys, reference_out: Path, reference_path: Path) -> None:
    code, stdout, _ = run(capsys, "explain", reference_out, "津帼众创")
    assert code == 0
    (doc,) = ingest.read_inputs([reference_path])
    lines = [line for line in stdout.splitlines() if "打造“津帼众创”品牌" in line]
    assert lines
    m = re.search(r"\[(\d+),(\d+)\)", lines[0])
    assert m, lines[0]
    assert doc.text[int(m.group(1)) : int(m.group(2))] == "津帼众创"


def test_explain_unknown_label_exits_2(capsys: Capsys, built_dir: Path) -> None:
    code, _, err = run(capsys, "explain", built_dir, "不存在的名称")
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_user_lexicon_makes_a_new_name_an_entity_of_its_type(capsys: Capsys, tmp_path: Path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("市妇联支持海棠姐妹互助会开展“邻里守望”活动。海棠互助会积极参与。\n", "utf-8")
    lexicon = tmp_path / "mine.tsv"
    lexicon.write_text("label\ttype\taliases\tmembers\tsource\n海棠姐妹互助会\tOrganization\t海棠互助会\t\t测试\n"
                       "邻里守望\tPrinciple\t\t\t测试\n", "utf-8")  # fmt: skip
    query = 'SELECT ?t WHERE { ?e skos:prefLabel "{}"@zh ; a ?t }'

    def type_of(out: str, label: str) -> str:
        stdout = run(capsys, "query", tmp_path / out, query.replace("{}", label), "--format", "csv")[1]
        return stdout.removeprefix("t\n").strip().removeprefix(str(KG))

    assert run(capsys, "build", doc, "--out", tmp_path / "plain", "--no-html")[0] == 0
    assert (type_of("plain", "海棠姐妹互助会"), type_of("plain", "邻里守望")) == ("", "Programme")
    assert run(capsys, "build", doc, "--out", tmp_path / "mine", "--no-html", "--lexicon", lexicon)[0] == 0
    assert (type_of("mine", "海棠姐妹互助会"), type_of("mine", "邻里守望")) == ("Organization", "Principle")
    code, stdout, _ = run(capsys, "explain", tmp_path / "mine", "海棠互助会")
    assert code == 0 and "“海棠互助会”" in stdout and "lexicon.user" in stdout


@pytest.mark.parametrize("row", ["海棠姐妹互助会\tCompany\t\t\t测试\n", "只有一列\n"], ids=["unknown-type", "one-column"])
def test_malformed_lexicon_exits_2_with_one_line(capsys: Capsys, good_file: Path, tmp_path: Path, row: str) -> None:
    lexicon = tmp_path / "bad.tsv"
    lexicon.write_text("label\ttype\taliases\tmembers\tsource\n" + row, "utf-8")
    code, _, err = run(capsys, "build", good_file, "--out", tmp_path / "out", "--lexicon", lexicon)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and f"{lexicon}:2" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "graph.ttl").exists()


def test_missing_lexicon_exits_2(capsys: Capsys, good_file: Path, tmp_path: Path) -> None:
    code, _, err = run(capsys, "build", good_file, "--out", tmp_path / "out", "--lexicon", tmp_path / "no.tsv")
    assert code == 2 and "no.tsv" in err


def test_python_m_kg_build_in_a_fresh_process(reference_path: Path, reference_out: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    proc = subprocess.run(
        [sys.executable, "-m", "kg", "build", str(reference_path), "--out", str(tmp_path), "--format", "nt", "--no-html"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "1 document(s)" in proc.stdout
    # another process, another hash seed: the same bytes as the in-process build
    assert (tmp_path / "graph.nt").read_bytes() == (reference_out / "graph.nt").read_bytes()
    assert (tmp_path / "graph.ttl").read_bytes() == (reference_out / "graph.ttl").read_bytes()
