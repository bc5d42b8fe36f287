"""``kg serve``: the SPARQL 1.1 Protocol with real clients, refusals, the timeout, the row cap, the viewer."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kg import pipeline, serve, store

PROGRAMMES = 'SELECT ?p WHERE { ?o skos:prefLabel "天津市妇联"@zh ; kg:runs/skos:prefLabel ?p }'
EXPECTED = {"巾帼和谐筑梦", "巾帼创新创业行动", "津帼众创", "千村美院", "美家美院",
            "最美家庭", "儿童之家", "阳光关爱", "互联网+妇联"}  # fmt: skip
CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TIMEOUT, ROW_CAP = 2.0, 50


class Server:
    def __init__(self, source: Path, **options: Any) -> None:
        self.http, self.endpoint = serve.make_server(source, port=0, quiet=True, **options)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.endpoint.close()


@pytest.fixture(scope="module")
def server(reference_out: Path) -> Iterator[Server]:
    s = Server(reference_out, timeout=TIMEOUT, row_cap=ROW_CAP)
    yield s
    s.close()


@pytest.fixture(scope="module")
def store_server(reference_build: pipeline.BuildResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("served") / "store"
    store.write_documents(folder, reference_build.documents)
    s = Server(folder, timeout=TIMEOUT, row_cap=ROW_CAP)
    yield s
    s.close()


Reply = tuple[int, dict[str, str], str]


def get(url: str, query: str, *, accept: str = "application/sparql-results+json", **params: str) -> Reply:
    query_string = urllib.parse.urlencode({"query": query, **params})
    return fetch(urllib.request.Request(f"{url}/sparql?{query_string}", headers={"Accept": accept}))


def fetch(req: urllib.request.Request) -> Reply:
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8")


def labels(body: str) -> set[str]:
    return {b["p"]["value"] for b in json.loads(body)["results"]["bindings"]}


# --------------------------------------------------------------------------- clients


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_sparqlwrapper_gets_the_programmes_of_the_federation(server: Server, store_server: Server, fmt: str) -> None:
    sparqlwrapper = pytest.importorskip("SPARQLWrapper", reason="SPARQLWrapper is in the test extra")
    for s in (server, store_server):
        client = sparqlwrapper.SPARQLWrapper(s.url + "/sparql")
        client.setQuery("PREFIX kg: <https://w3id.org/kg-policy/ontology#>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
                        + PROGRAMMES)  # fmt: skip
        client.setReturnFormat(fmt)
        client.setMethod("POST" if fmt == "xml" else "GET")
        result = client.query().convert()
        if fmt == "json":
            found = {b["p"]["value"] for b in result["results"]["bindings"]}
        else:
            found = {n.firstChild.data for n in result.getElementsByTagName("literal")}
        assert EXPECTED <= found


def test_get_and_both_kinds_of_post(server: Server) -> None:
    status, headers, body = get(server.url, PROGRAMMES)
    assert status == 200 and headers["Content-Type"].startswith("application/sparql-results+json") and EXPECTED <= labels(body)
    form = urllib.parse.urlencode({"query": PROGRAMMES}).encode()
    for data, ctype in ((form, "application/x-www-form-urlencoded"), (PROGRAMMES.encode(), "application/sparql-query")):
        req = urllib.request.Request(server.url + "/sparql", data=data, headers={"Content-Type": ctype})
        status, _, body = fetch(req)
        assert status == 200 and EXPECTED <= labels(body)


def test_content_negotiation(server: Server) -> None:
    status, headers, body = get(server.url, PROGRAMMES, accept="text/csv")
    assert status == 200 and headers["Content-Type"].startswith("text/csv") and body.splitlines()[0] == "p" and "津帼众创" in body
    status, headers, body = get(server.url, PROGRAMMES, accept="text/tab-separated-values")
    assert body.splitlines()[0] == "?p" and '"津帼众创"@zh' in body.splitlines()
    status, headers, body = get(server.url, PROGRAMMES, accept="application/sparql-results+xml")
    assert headers["Content-Type"].startswith("application/sparql-results+xml")
    assert '<literal xml:lang="zh">津帼众创</literal>' in body
    status, _, body = get(server.url, "ASK { ?s kg:runs ?o }", accept="*/*")
    assert status == 200 and json.loads(body)["boolean"] is True
    status, headers, body = get(server.url, "CONSTRUCT { ?s kg:runs ?o } WHERE { ?s kg:runs ?o }", accept="application/n-triples")
    assert status == 200 and headers["Content-Type"].startswith("application/n-triples") and "ontology#runs>" in body
    assert get(server.url, PROGRAMMES, accept="image/png")[0] == 406


def test_curl(server: Server) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    out = subprocess.run([curl, "-s", "-H", "Accept: text/csv", "--data-urlencode", f"query={PROGRAMMES}",
                          server.url + "/sparql"], capture_output=True, text=True, timeout=30, check=True).stdout  # fmt: skip
    assert EXPECTED <= set(out.splitlines()[1:])
    code = subprocess.run([curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/sparql-update",
                           "--data", "CLEAR ALL", server.url + "/sparql"],
                          capture_output=True, text=True, timeout=30).stdout  # fmt: skip
    assert code == "403"


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("query", [
    "INSERT DATA { <http://e/s> <http://e/p> <http://e/o> }",
    "PREFIX e: <http://e/> DELETE WHERE { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:9/data.ttl>",
    "CLEAR ALL",
])  # fmt: skip
def test_updates_are_refused(server: Server, query: str) -> None:
    status, _, body = get(server.url, query)
    assert status == 403 and "read-only" in body
    req = urllib.request.Request(server.url + "/sparql", data=urllib.parse.urlencode({"update": query}).encode())
    assert fetch(req)[0] == 403
    assert EXPECTED <= labels(get(server.url, PROGRAMMES)[2])  # nothing changed


def test_service_and_remote_from_never_leave_the_machine(server: Server) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(1.0)
        target = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        for query in [
            f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
            f"select * where {{ service silent <{target}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ \\u0053ERVICE <{target}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ SERVICE#comment\n<{target}> {{ ?s ?p ?o }} }}",
            f"PREFIX r: <http://127.0.0.1:{listener.getsockname()[1]}/> SELECT * WHERE {{ SERVICE r:sparql {{ ?s ?p ?o }} }}",
            f"PREFIX : <http://127.0.0.1:{listener.getsockname()[1]}/> SELECT * WHERE {{ SERVICE:sparql {{ ?s ?p ?o }} }}",
            f"SELECT * FROM <{target}> WHERE {{ ?s ?p ?o }}",
            f"SELECT * FROM NAMED <{target}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        ]:
            status, _, body = get(server.url, query)
            assert status == 403, (query, body)
        status, _, _ = get(server.url, "SELECT * WHERE { ?s ?p ?o } LIMIT 1", **{"default-graph-uri": target})
        assert status == 403
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody knocked


def test_words_like_service_elsewhere_are_fine(server: Server) -> None:
    query = ('PREFIX s: <http://schema.org/> SELECT ?service WHERE { ?service kg:runs ?x . '
             'OPTIONAL { ?x s:serviceType "SERVICE" } } LIMIT 1')
    assert get(server.url, query)[0] == 200


def test_from_a_document_graph_of_a_store_is_allowed(store_server: Server) -> None:
    (doc,) = store_server.endpoint.pool.graphs
    status, _, body = get(store_server.url, f"SELECT ?p FROM <{doc}> WHERE {{ ?o kg:runs/skos:prefLabel ?p }}")
    assert status == 200 and EXPECTED <= labels(body)


# --------------------------------------------------------------------------- limits


def test_a_runaway_query_is_stopped_and_the_next_is_answered(server: Server) -> None:
    t = time.monotonic()
    status, _, body = get(server.url, CROSS)
    assert status == 503 and "no answer within" in body
    assert time.monotonic() - t < TIMEOUT + 1
    for _ in range(3):  # more than there are workers: the killed one was replaced
        t = time.monotonic()
        status, _, body = get(server.url, PROGRAMMES)
        assert status == 200 and EXPECTED <= labels(body) and time.monotonic() - t < TIMEOUT + 1


def test_rows_are_capped(server: Server) -> None:
    status, headers, body = get(server.url, "SELECT * WHERE { ?s ?p ?o }")
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == ROW_CAP
    assert headers.get("X-KG-Truncated") == f"at {ROW_CAP} rows"
    status, headers, body = get(server.url, "SELECT * WHERE { ?s ?p ?o } LIMIT 3")
    assert len(json.loads(body)["results"]["bindings"]) == 3 and "X-KG-Truncated" not in headers


def test_bad_requests(server: Server) -> None:
    assert get(server.url, "SELEKT nothing")[0] == 400
    assert fetch(urllib.request.Request(server.url + "/sparql"))[0] == 400
    assert fetch(urllib.request.Request(server.url + "/elsewhere"))[0] == 404
    assert fetch(urllib.request.Request(server.url + "/sparql", data=b"x", headers={"Content-Type": "text/plain"}))[0] == 415
    assert fetch(urllib.request.Request(server.url + "/sparql", data=b"", method="PUT"))[0] == 405


def test_the_viewer_page_is_served(server: Server) -> None:
    status, headers, body = fetch(urllib.request.Request(server.url + "/"))
    assert status == 200 and headers["Content-Type"].startswith("text/html") and "津帼众创" in body


def test_kg_serve_command(reference_out: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "kg", "serve", str(reference_out), "--port", str(port), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/sparql" in line
        status, _, body = get(f"http://127.0.0.1:{port}", PROGRAMMES)
        assert status == 200 and EXPECTED <= labels(body)
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    bad = subprocess.run([sys.executable, "-m", "kg", "serve", str(reference_out / "none.ttl")], capture_output=True, text=True)
    assert bad.returncode == 2 and "none.ttl" in bad.stderr and "Traceback" not in bad.stderr
