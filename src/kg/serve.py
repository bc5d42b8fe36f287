"""``kg serve``: a read-only SPARQL 1.1 Protocol endpoint over a graph file or a store, with the viewer at ``/``.

Queries run on pyoxigraph in worker processes that open the database read-only; a query past the
timeout has its worker killed (a new one takes its place), so the server keeps answering. Before
a query reaches a worker it is checked: SPARQL Update and LOAD are refused, and so are SERVICE and
a FROM / FROM NAMED naming anything but a graph of this store, so no request ever leaves the
machine. Results: SPARQL 1.1 JSON, XML, CSV or TSV by the Accept header (or ``format=``); graphs
as Turtle or N-Triples. At most ``row_cap`` rows or triples are sent (header ``X-KG-Truncated``).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import pickle
import queue
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from kg import queries, store

UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
RESULT_TYPES = {"application/sparql-results+json": "json", "application/json": "json", "application/sparql-results+xml": "xml",
                "application/xml": "xml", "text/xml": "xml", "text/csv": "csv", "text/tab-separated-values": "tsv"}  # fmt: skip
GRAPH_TYPES = {"text/turtle": "ttl", "application/n-triples": "nt", "text/plain": "nt"}
MEDIA = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml", "csv": "text/csv",
         "tsv": "text/tab-separated-values", "ttl": "text/turtle", "nt": "application/n-triples"}  # fmt: skip
MAX_BODY = 1 << 20


class Refused(Exception):
    """A request the endpoint will not run: ``status`` and a one-line reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def check(text: str, graphs: set[str]) -> None:
    """Refuse updates, LOAD, SERVICE, and FROM / FROM NAMED with a graph that this store does not hold."""
    toks = [(k, t) for k, t, _ in queries.tokens(queries.unescape(text)) if k != "comment"]
    words = [t.upper() for k, t in toks if k == "word"]
    first = next((w for w in words if w not in ("BASE", "PREFIX")), "")
    if first in UPDATE_WORDS:
        raise Refused(403, f"SPARQL Update ({first}) is refused: this endpoint is read-only")
    # a parser reads "SERVICE:x" as SERVICE and the IRI ":x", so any word or prefixed name that starts so is refused
    names = [t.upper() for k, t in toks if k in ("word", "pname")]
    if any(n.startswith("SERVICE") for n in names):
        raise Refused(403, "SERVICE is refused: this endpoint never sends a request to another server")
    if any(n.startswith(("FROM", "NAMED")) and ":" in n for n in names):
        raise Refused(403, "write FROM <graph> with a space: a prefixed name glued to FROM is refused")
    prefixes = dict(store.PREFIX_MAP)
    for i, (kind, t) in enumerate(toks[:-2]):
        if kind == "word" and t.upper() == "PREFIX" and toks[i + 1][0] == "pname" and toks[i + 2][0] == "iri":
            prefixes[toks[i + 1][1][:-1]] = toks[i + 2][1][1:-1]
    for i, (kind, t) in enumerate(toks):
        if kind == "word" and t.upper() == "FROM":
            j = i + 2 if i + 1 < len(toks) and toks[i + 1][1].upper() == "NAMED" else i + 1
            target = toks[j] if j < len(toks) else ("other", "")
            iri = target[1][1:-1] if target[0] == "iri" else None
            if target[0] == "pname":
                pre, _, local = target[1].partition(":")
                iri = prefixes[pre] + local if pre in prefixes else None
            if iri not in graphs:
                raise Refused(403, f"FROM {target[1]} is refused: not a graph of this store (nothing is fetched from elsewhere)")


def negotiate(accept: str, fmt: str | None) -> list[str]:
    """The formats a client takes, best first, from ``format=`` or the Accept header; ``*/*`` for anything."""
    if fmt:
        return [fmt.lower()]
    ranked = []
    for i, part in enumerate((accept or "*/*").split(",")):
        media, *params = [x.strip() for x in part.split(";")]
        q = next((float(p[2:]) for p in params if p.startswith("q=") and p[2:].replace(".", "", 1).isdigit()), 1.0)
        if q > 0:
            ranked.append((-q, i, media.lower()))
    out = []
    for _, _, media in sorted(ranked):
        if media in ("*/*", "application/*", "text/*"):
            out.append("*")
        out += [f for f in (RESULT_TYPES.get(media), GRAPH_TYPES.get(media)) if f]
    return out


# --------------------------------------------------------------------------- answering (in a worker)


def _pick(wanted: list[str], kinds: tuple[str, ...]) -> str | None:
    for w in wanted:
        if w == "*":
            return kinds[0]
        if w in kinds:
            return w
    return None


def _json_term(t: Any) -> dict[str, str]:
    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    out = {"type": "literal", "value": t.value}
    if t.language:
        out["xml:lang"] = t.language
    elif t.datatype.value != store.XSD_STRING:
        out["datatype"] = t.datatype.value
    return out


def _xml_term(t: Any) -> str:
    if isinstance(t, ox.NamedNode):
        return f"<uri>{escape(t.value)}</uri>"
    if isinstance(t, ox.BlankNode):
        return f"<bnode>{escape(t.value)}</bnode>"
    attr = f" xml:lang={quoteattr(t.language)}" if t.language else ""
    if not t.language and t.datatype.value != store.XSD_STRING:
        attr = f" datatype={quoteattr(t.datatype.value)}"
    return f"<literal{attr}>{escape(t.value)}</literal>"


def serialize_solutions(names: list[str], rows: list[Any], fmt: str) -> bytes:
    """SELECT results in the SPARQL 1.1 JSON, XML, CSV or TSV results format."""
    if fmt == "json":
        bindings = [{n: _json_term(r[n]) for n in names if r[n] is not None} for r in rows]
        return json.dumps({"head": {"vars": names}, "results": {"bindings": bindings}}, ensure_ascii=False).encode("utf-8")
    if fmt == "xml":
        out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
        out += [f"<variable name={quoteattr(n)}/>" for n in names] + ["</head><results>"]
        for r in rows:
            cells = "".join(f"<binding name={quoteattr(n)}>{_xml_term(r[n])}</binding>" for n in names if r[n] is not None)
            out.append(f"<result>{cells}</result>")
        return ("".join(out) + "</results></sparql>\n").encode("utf-8")
    if fmt == "tsv":
        lines = ["\t".join(f"?{n}" for n in names)] + ["\t".join("" if r[n] is None else str(r[n]) for n in names) for r in rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(names)
    for r in rows:
        w.writerow(["" if r[n] is None else ("_:" + r[n].value if isinstance(r[n], ox.BlankNode) else r[n].value) for n in names])
    return buf.getvalue().encode("utf-8")


def answer(db: ox.Store, req: dict[str, Any]) -> tuple[int, str, bytes, dict[str, str]]:
    """Run one checked request on ``db``: (status, content type, body, extra headers)."""
    dataset: dict[str, Any] = {}
    if req["default"]:
        dataset["default_graph"] = [ox.NamedNode(g) for g in req["default"]]
    if req["named"]:
        dataset["named_graphs"] = [ox.NamedNode(g) for g in req["named"]]
    try:
        result = store.execute(db, req["query"], **dataset)
    except queries.QueryError as exc:
        return 400, "text/plain; charset=utf-8", f"{exc}\n".encode(), {}
    cap, headers = req["row_cap"], {}
    if isinstance(result, ox.QueryTriples):
        fmt = _pick(req["accept"], ("ttl", "nt"))
        if fmt is None:
            return 406, "text/plain; charset=utf-8", b"graphs are served as text/turtle or application/n-triples\n", {}
        triples = list(itertools.islice(result, cap + 1))
        if len(triples) > cap:
            triples, headers = triples[:cap], {"X-KG-Truncated": f"at {cap} triples"}
        rdf_fmt = ox.RdfFormat.TURTLE if fmt == "ttl" else ox.RdfFormat.N_TRIPLES
        return 200, MEDIA[fmt] + "; charset=utf-8", ox.serialize(triples, format=rdf_fmt) or b"", headers
    fmt = _pick(req["accept"], ("json", "xml", "csv", "tsv"))
    if fmt is None:
        return 406, "text/plain; charset=utf-8", b"results are served as SPARQL JSON, XML, CSV or TSV\n", {}
    if isinstance(result, ox.QueryBoolean):
        word = str(bool(result)).lower()
        body = {"json": json.dumps({"head": {}, "boolean": bool(result)}).encode(),
                "xml": f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
                       f"<boolean>{word}</boolean></sparql>\n".encode()}.get(fmt, f"{word}\n".encode())  # fmt: skip
        return 200, MEDIA[fmt] + "; charset=utf-8", body, {}
    rows = list(itertools.islice(result, cap + 1))
    if len(rows) > cap:
        rows, headers = rows[:cap], {"X-KG-Truncated": f"at {cap} rows"}
    names = [v.value for v in result.variables]
    return 200, MEDIA[fmt] + "; charset=utf-8", serialize_solutions(names, rows, fmt), headers


def _send_msg(f: Any, obj: Any) -> None:
    data = pickle.dumps(obj)
    f.write(len(data).to_bytes(8, "big") + data)
    f.flush()


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    out = b""
    while len(out) < n:
        if deadline is not None and not select.select([fd], [], [], max(deadline - time.monotonic(), 0))[0]:
            raise TimeoutError
        chunk = os.read(fd, n - len(out))
        if not chunk:
            raise EOFError("the query worker ended")
        out += chunk
    return out


def _recv_msg(fd: int, timeout: float | None = None) -> Any:
    deadline = None if timeout is None else time.monotonic() + timeout
    size = int.from_bytes(_read_exact(fd, 8, deadline), "big")
    return pickle.loads(_read_exact(fd, size, deadline))


def worker_main(location: str) -> None:
    """A query worker: requests on stdin, answers on stdout (framed pickles); the first answer lists the graphs."""
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # anything printed goes to stderr, never into the answers
    db = ox.Store.read_only(location)
    _send_msg(out, sorted(g.value for g in db.named_graphs() if isinstance(g, ox.NamedNode)))
    while True:
        try:
            req = _recv_msg(0)
        except EOFError:
            return
        try:
            _send_msg(out, answer(db, req))
        except Exception as exc:  # noqa: BLE001 - one bad query must not end the worker
            _send_msg(out, (500, "text/plain; charset=utf-8", f"query failed: {exc.__class__.__name__}: {exc}\n".encode(), {}))


# --------------------------------------------------------------------------- the pool of workers


class Pool:
    """Worker processes over one read-only database; a worker past the timeout is killed and replaced."""

    def __init__(self, location: Path, *, size: int = 2, timeout: float = 10.0) -> None:
        self.location, self.timeout = str(location), timeout
        self._idle: queue.Queue[subprocess.Popen[bytes]] = queue.Queue()
        self._closed = False
        self.graphs: set[str] = set()
        for _ in range(size):
            self._idle.put(self._start())

    def _start(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]),
                                                                          os.environ.get("PYTHONPATH")]))}  # fmt: skip
        code = "import sys; from kg.serve import worker_main; worker_main(sys.argv[1])"
        proc = subprocess.Popen([sys.executable, "-c", code, self.location], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                bufsize=0, env=env)  # fmt: skip
        try:
            assert proc.stdout is not None
            self.graphs = set(_recv_msg(proc.stdout.fileno(), 60))
        except (TimeoutError, EOFError) as exc:
            self._stop(proc)
            raise RuntimeError(f"a query worker did not start ({exc or 'no answer'})") from None
        return proc

    @staticmethod
    def _stop(proc: subprocess.Popen[bytes]) -> None:
        proc.kill()
        proc.wait()
        for f in (proc.stdin, proc.stdout):
            if f is not None:
                f.close()

    def _replace(self, proc: subprocess.Popen[bytes]) -> None:
        self._stop(proc)
        if not self._closed:
            threading.Thread(target=lambda: self._idle.put(self._start()), daemon=True).start()

    def run(self, req: dict[str, Any]) -> tuple[int, str, bytes, dict[str, str]]:
        try:
            proc = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            return 503, "text/plain; charset=utf-8", b"every query worker is busy; try again\n", {}
        try:
            assert proc.stdin is not None and proc.stdout is not None
            _send_msg(proc.stdin, req)
            reply: tuple[int, str, bytes, dict[str, str]] = _recv_msg(proc.stdout.fileno(), self.timeout)
            self._idle.put(proc)
            return reply
        except (OSError, EOFError, TimeoutError):
            self._replace(proc)
        return 503, "text/plain; charset=utf-8", f"query stopped: no answer within {self.timeout:g} s\n".encode(), {}

    def close(self) -> None:
        self._closed = True
        while not self._idle.empty():
            proc = self._idle.get()
            if proc.stdin is not None:
                proc.stdin.close()  # the worker ends at the end of its input
            try:
                proc.wait(2)
            except subprocess.TimeoutExpired:
                pass
            self._stop(proc)


# --------------------------------------------------------------------------- HTTP


class Endpoint:
    """What a server serves: a pool over the database, the viewer page, the limits."""

    def __init__(self, source: Path, *, timeout: float = 10.0, row_cap: int = 10000, workers: int = 2) -> None:
        self.source, self.row_cap = source, row_cap
        self._tmp: Path | None = None
        if store.is_store(source):
            store.open_store(source)  # a clear error now rather than in a worker
            location = source / "oxigraph"
        else:
            path = _graph_file(source)
            self._tmp = Path(tempfile.mkdtemp(prefix="kg-serve-"))
            location = self._tmp / "db"
            db = ox.Store(str(location))
            try:
                store.load_file(db, path)
                db.flush()
            finally:
                del db
        self.pool = Pool(location, size=workers, timeout=timeout)
        self._page: bytes | None = None
        self._lock = threading.Lock()

    def page(self) -> bytes:
        """The viewer page, rendered once (the 300 most connected entities of a store)."""
        with self._lock:
            if self._page is None:
                from kg import viewer

                if store.is_store(self.source):
                    html = viewer.render(store.to_rdflib(self.source), top=300)
                else:
                    from kg.evaluate import load_graph

                    html = viewer.render(load_graph(self.source))
                self._page = html.encode("utf-8")
            return self._page

    def close(self) -> None:
        self.pool.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)


def _graph_file(path: Path) -> Path:
    if path.is_dir():
        for name in ("graph.ttl", "graph.nt", "graph.jsonld"):
            if (path / name).is_file():
                return path / name
        raise store.StoreError(f"{path}: no graph.ttl, graph.nt or graph.jsonld, and not a kg store")
    if not path.is_file():
        raise store.StoreError(f"{path}: no such file or folder")
    return path


class Handler(BaseHTTPRequestHandler):
    server_version = "kg-serve"
    endpoint: Endpoint  # set on the subclass made by make_server
    quiet = False

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        if not self.quiet:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def _send(self, status: int, ctype: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        self._send(status, "text/plain; charset=utf-8", (message + "\n").encode("utf-8"))

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urllib.parse.urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            return self._send(200, "text/html; charset=utf-8", self.endpoint.page())
        if url.path != "/sparql":
            return self._error(404, "not found: the endpoint is /sparql, the viewer /")
        self._dispatch(urllib.parse.parse_qs(url.query, keep_blank_values=True))

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/sparql":
            return self._error(404, "not found: the endpoint is /sparql")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return self._error(413, f"request body over {MAX_BODY} bytes")
        body = self.rfile.read(length).decode("utf-8", "replace")
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        if ctype == "application/sparql-update":
            return self._error(403, "SPARQL Update is refused: this endpoint is read-only")
        if ctype == "application/sparql-query":
            params["query"] = [*params.get("query", []), body]
        elif ctype == "application/x-www-form-urlencoded":
            for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items():
                params.setdefault(k, []).extend(v)
        else:
            return self._error(415, "POST a query as application/sparql-query or application/x-www-form-urlencoded")
        self._dispatch(params)

    def do_PUT(self) -> None:  # noqa: N802
        self._error(405, "this endpoint is read-only")

    do_DELETE = do_PATCH = do_PUT

    def _dispatch(self, params: dict[str, list[str]]) -> None:
        ep = self.endpoint
        if "update" in params:
            return self._error(403, "SPARQL Update is refused: this endpoint is read-only")
        texts = params.get("query", [])
        if len(texts) != 1 or not texts[0].strip():
            return self._error(400, "give exactly one query (query= parameter or an application/sparql-query body)")
        default, named = params.get("default-graph-uri", []), params.get("named-graph-uri", [])
        try:
            check(texts[0], ep.pool.graphs)
            for g in default + named:
                if g not in ep.pool.graphs:
                    raise Refused(403, f"graph <{g}> is refused: not a graph of this store")
        except Refused as exc:
            return self._error(exc.status, str(exc))
        accept = negotiate(self.headers.get("Accept", ""), (params.get("format") or [""])[0])
        req = {"query": texts[0], "default": default, "named": named, "accept": accept, "row_cap": ep.row_cap}
        status, ctype, body, headers = ep.pool.run(req)
        self._send(status, ctype, body, headers)


def make_server(source: Path, *, host: str = "127.0.0.1", port: int = 7878, timeout: float = 10.0, row_cap: int = 10000,
                workers: int = 2, quiet: bool = False) -> tuple[ThreadingHTTPServer, Endpoint]:  # fmt: skip
    """A server (not yet serving) and its endpoint; ``port=0`` picks a free port. Close both when done."""
    endpoint = Endpoint(source, timeout=timeout, row_cap=row_cap, workers=workers)
    handler = type("BoundHandler", (Handler,), {"endpoint": endpoint, "quiet": quiet})
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError:
        endpoint.close()
        raise
    server.daemon_threads = True
    return server, endpoint
