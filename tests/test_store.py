"""The on-disk store (one named graph per document) and pushing graphs to a real Oxigraph server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic
from rdflib.namespace import SKOS

from kg import ingest, pipeline, rdf, store
from kg.cli import main
from kg.vocab import KG

Capsys = pytest.CaptureFixture[str]

TEXT_A = "深化“巾帼建功”行动，打造“津门巧娘”品牌，强化“春风送暖”慈善品牌。\n（作者为天津市妇联主席）\n"
TEXT_B = "深化“巾帼建功”行动，开展“美丽庭院”创建。\n（作者为天津市妇联主席）\n"


def run(capsys: Capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def named_graph(store_dir: Path, iri: str) -> Graph:
    db = store.open_store(store_dir)
    g = Graph()
    for q in db.quads_for_pattern(None, None, None, ox.NamedNode(iri)):
        g.add((store.from_ox(q.subject), store.from_ox(q.predicate), store.from_ox(q.object)))
    return g


def test_documents_are_added_kept_and_replaced(extractor: pipeline.Extractor, tmp_path: Path) -> None:
    a, b = ingest.make_document("a", TEXT_A), ingest.make_document("b", TEXT_B)
    folder = tmp_path / "store"
    report = store.write_documents(folder, [extractor.extract(a), extractor.extract(b)])
    assert report.added == ["a", "b"] and not report.replaced and not report.unchanged
    iri_a, iri_b = str(rdf.document_iri("a")), str(rdf.document_iri("b"))
    assert isomorphic(named_graph(folder, iri_a), rdf.to_graph([extractor.extract(a)]))
    before_b = named_graph(folder, iri_b)

    report = store.write_documents(folder, [extractor.extract(a)])
    assert report.unchanged == ["a"] and not report.added and not report.replaced

    changed = ingest.make_document("a", "深化“巾帼和谐筑梦”行动。\n（作者为天津市妇联主席）\n")
    report = store.write_documents(folder, [extractor.extract(changed)])
    assert report.replaced == ["a"]
    now = named_graph(folder, iri_a)
    assert isomorphic(now, rdf.to_graph([extractor.extract(changed)]))
    assert "津门巧娘" not in now.serialize(format="nt")  # nothing of the old version is left
    assert isomorphic(named_graph(folder, iri_b), before_b)  # the other document is untouched
    assert store.documents(folder)[iri_a]["triples"] == len(now)
    merged = store.to_rdflib(folder)  # the merged default graph follows: a's old triples gone, b's kept
    expected = rdf.to_graph([extractor.extract(changed), extractor.extract(b)])
    assert {p for _, p, _ in set(merged) ^ set(expected)} <= {KG.confidence}


def test_the_union_of_a_store_is_the_merged_graph(extractor: pipeline.Extractor, tmp_path: Path) -> None:
    docs = [extractor.extract(ingest.make_document(i, t)) for i, t in (("a", TEXT_A), ("b", TEXT_B))]
    store.write_documents(tmp_path / "s", docs)
    union = store.to_rdflib(tmp_path / "s")
    merged = rdf.to_graph(docs)
    # the only difference allowed: an entity keeps each document's confidence in the store
    assert set(merged) <= set(union)
    assert {p for _, p, _ in set(union) - set(merged)} <= {KG.confidence}


def test_split_by_document_gives_back_the_graph(extractor: pipeline.Extractor) -> None:
    docs = [extractor.extract(ingest.make_document(i, t)) for i, t in (("a", TEXT_A), ("b", TEXT_B))]
    merged = rdf.to_graph(docs)
    parts = store.split_by_document(merged)
    assert set(parts) == {str(rdf.document_iri("a")), str(rdf.document_iri("b"))}
    union = Graph()
    for part in parts.values():
        union += part
    assert set(union) == set(merged)
    own = rdf.to_graph([docs[1]])  # a part differs from the document's own graph only where the merge kept the best of two
    assert {p for _, p, _ in set(parts[str(rdf.document_iri("b"))]) ^ set(own)} <= {KG.confidence, SKOS.altLabel}


def test_store_commands(capsys: Capsys, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TEXT_A, "utf-8")
    folder = tmp_path / "store"
    code, out, err = run(capsys, "store", "load", folder, tmp_path / "a.txt")
    assert code == 0 and "1 added, 0 replaced, 0 unchanged" in out, err
    code, out, _ = run(capsys, "store", "load", folder, tmp_path / "a.txt", tmp_path / "missing.txt")
    assert code == 3 and "0 added, 0 replaced, 1 unchanged" in out
    code, out, _ = run(capsys, "store", "info", folder)
    assert code == 0 and "1 document(s)" in out and str(rdf.document_iri("a")) in out
    code, out, err = run(capsys, "query", folder, "--name", "programmes-of-organisation", "--param", "org=天津市妇联",
                         "--format", "csv")  # fmt: skip
    assert code == 0 and "津门巧娘" in out, err


def test_store_errors_are_one_line(capsys: Capsys, tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x", "utf-8")
    (tmp_path / "a.txt").write_text(TEXT_A, "utf-8")
    for argv, needle in [
        (["store", "load", tmp_path / "other", tmp_path / "a.txt"], "not a kg store"),
        (["store", "info", tmp_path / "nowhere"], "not a kg store"),
        (["store", "load", tmp_path / "new", tmp_path / "missing.txt"], "no input could be read"),
    ]:
        code, _, err = run(capsys, *argv)
        assert code == 2 and needle in err and len(err.strip().splitlines()) <= 2 and "Traceback" not in err, err


# --------------------------------------------------------------------------- push to a real Oxigraph server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).is_file():
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph, in the test extra)")
    return found


@pytest.fixture
def oxigraph(tmp_path: Path) -> Iterator[str]:
    """A fresh Oxigraph server on a free loopback port; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen([oxigraph_binary(), "serve", "--location", str(tmp_path / "oxdata"), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(url + "/query?query=ASK%7B%7D", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("the Oxigraph server did not start")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def remote_counts(url: str) -> tuple[dict[str, int], int]:
    """Triples per named graph, and distinct triples over all graphs, on the server."""
    def ask(q: str) -> list[list[str]]:
        req = urllib.request.Request(url + "/query?" + urllib.parse.urlencode({"query": q}), headers={"Accept": "text/csv"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return [line.split(",") for line in r.read().decode().splitlines()[1:]]

    per = {g: int(n) for g, n in ask("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    (total,) = ask("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }")
    return per, int(total[0])


def test_push_a_store_and_resume(capsys: Capsys, extractor: pipeline.Extractor, oxigraph: str, tmp_path: Path) -> None:
    folder = tmp_path / "store"
    store.write_documents(folder, [extractor.extract(ingest.make_document("a", TEXT_A))])
    code, out, err = run(capsys, "push", folder, "--endpoint", oxigraph + "/store")
    assert code == 0 and "1 graph(s) pushed, 0 already there" in out, err
    store.write_documents(folder, [extractor.extract(ingest.make_document("b", TEXT_B))])
    code, out, err = run(capsys, "push", folder, "--endpoint", oxigraph + "/store")
    assert code == 0 and "1 graph(s) pushed, 1 already there" in out, err  # resumed: a was there already
    per, _ = remote_counts(oxigraph)
    assert per == {iri: d["triples"] for iri, d in store.documents(folder).items()}


def test_push_a_graph_gives_the_same_triple_count(capsys: Capsys, reference_out: Path, oxigraph: str) -> None:
    local = Graph().parse(reference_out / "graph.ttl")
    code, out, err = run(capsys, "push", reference_out, "--endpoint", oxigraph + "/store")
    assert code == 0 and "1 graph(s) pushed" in out, err
    per, total = remote_counts(oxigraph)
    assert total == len(local) and sum(per.values()) == len(local)
    code, out, _ = run(capsys, "push", reference_out, "--endpoint", oxigraph + "/store")
    assert "0 graph(s) pushed, 1 already there" in out


def test_a_failed_push_stops_after_bounded_retries(capsys: Capsys, reference_out: Path) -> None:
    port = free_port()  # nothing listens there
    t = time.monotonic()
    endpoint = f"http://127.0.0.1:{port}/store"
    code, _, err = run(capsys, "push", reference_out, "--endpoint", endpoint, "--retries", "2", "--backoff", "0.05")
    assert code == 1 and time.monotonic() - t < 5
    assert "after 3 tries" in err and "resume" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    code, _, err = run(capsys, "push", reference_out, "--endpoint", "ftp://example.invalid/")
    assert code == 2 and "http://" in err


def test_build_keeps_its_graph_in_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """kg build --store: the built documents land in the store, and a rebuild of the same input adds nothing."""
    example = Path(__file__).resolve().parents[1] / "examples"
    args = ["build", str(example), "--out", str(tmp_path / "out"), "--no-html", "--store", str(tmp_path / "store")]
    assert main(args) == 0
    assert "1 added, 0 replaced, 0 unchanged" in capsys.readouterr().out
    assert main(args) == 0
    assert "0 added, 0 replaced, 1 unchanged" in capsys.readouterr().out
    assert main(["query", str(tmp_path / "store"), "--name", "programmes-of-organisation", "--param", "org=河西区团委"]) == 0
    assert "青春河西" in capsys.readouterr().out
