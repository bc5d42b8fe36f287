"""A persistent Oxigraph store (pyoxigraph) with one named graph per document, and pushing graphs out.

Layout of a store folder: ``kg-store.json`` (the marker, with each document's content hash and
triple count) and ``oxigraph/`` (the on-disk database). A document's named graph is the
document IRI; the default graph holds the merge of all documents, as ``kg build`` would write it,
so queries join over distinct triples at the speed of a plain store (Oxigraph's union default
graph repeats a triple once per document that has it, which multiplies the rows of every join).

Writing a changed document replaces its named graph, and its share of the merged graph, in one
transaction (a SPARQL Update); new documents are added in transactions of whole documents; an
unchanged one (same hash of its sorted N-Triples) is not written at all. The hash file is written
after the data, so a crash in between only makes the next load rewrite those documents.

``push`` sends a store's named graphs, or a graph file split by document, to a SPARQL 1.1 Graph
Store Protocol server.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import PROV
from rdflib.query import Result
from rdflib.term import Identifier, Variable

from kg import rdf
from kg.model import DocumentGraph
from kg.query import PREFIXES, QueryError
from kg.resolve import DEFAULT_BASE
from kg.vocab import KG, RELATIONS, term

MARKER = "kg-store.json"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
PREFIX_MAP = {line.split()[1][:-1]: line.split()[2][1:-1] for line in PREFIXES.splitlines() if line.strip()}


class StoreError(Exception):
    """A store folder that cannot be opened or written; the message names it."""


def is_store(path: Path) -> bool:
    return (path / MARKER).is_file()


def _open(path: Path, *, read_only: bool) -> ox.Store:
    try:
        return ox.Store.read_only(str(path / "oxigraph")) if read_only else ox.Store(str(path / "oxigraph"))
    except OSError as exc:
        hint = " (is another kg process writing to it?)" if "lock" in str(exc).lower() else ""
        raise StoreError(f"{path}: cannot open the store: {str(exc).splitlines()[0][:200]}{hint}") from None


def open_store(path: Path, *, read_only: bool = True) -> ox.Store:
    """The Oxigraph database of a kg store folder; raises StoreError when it is not one."""
    if not is_store(path):
        raise StoreError(f"{path}: not a kg store (no {MARKER}); create one with kg store load {path} INPUT...")
    return _open(path, read_only=read_only)


def _manifest(path: Path) -> dict[str, Any]:
    if not is_store(path):
        return {"format": 1, "documents": {}}
    try:
        data: dict[str, Any] = json.loads((path / MARKER).read_text("utf-8"))
        return data
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path / MARKER}: unreadable ({exc})") from None


def documents(path: Path) -> dict[str, dict[str, Any]]:
    """The documents of a store: graph IRI -> {"id", "hash", "triples"}."""
    if not is_store(path):
        raise StoreError(f"{path}: not a kg store (no {MARKER})")
    docs: dict[str, dict[str, Any]] = _manifest(path).get("documents", {})
    return docs


@dataclass
class WriteReport:
    """What ``write_documents`` did, by document identifier."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def document_quads(dg: DocumentGraph, base: str = DEFAULT_BASE) -> tuple[ox.NamedNode, list[ox.Triple], str]:
    """A document's named graph: its name (the document IRI), its triples and the hash of its content."""
    name = ox.NamedNode(str(rdf.document_iri(dg.document.id, base)))
    cache: dict[Identifier, Any] = {}

    def term(t: Identifier) -> Any:
        found = cache.get(t)
        if found is None:
            found = cache[t] = to_ox(t)
        return found

    triples = [ox.Triple(term(s), term(p), term(o)) for s, p, o in rdf.to_graph([dg], base=base)]  # type: ignore[arg-type]
    lines = sorted(str(t) for t in triples)
    return name, triples, hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


BATCH = 50_000  # quads of new documents written in one transaction


def write_documents(store_dir: Path, document_graphs: Iterable[DocumentGraph], *, base: str = DEFAULT_BASE) -> WriteReport:
    """Keep one named graph per document, and their merge as the default graph, in the store at ``store_dir``.

    The store is created if missing. A new document is added and a changed one replaced, each
    whole in one transaction; an unchanged one is left alone.
    """
    store_dir.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(store_dir)
    docs: dict[str, Any] = manifest.setdefault("documents", {})
    manifest["base"] = base
    report = WriteReport()
    store = _open(store_dir, read_only=False)
    pending: list[ox.Quad] = []
    pending_docs: dict[str, Any] = {}

    def flush(store: ox.Store) -> None:
        store.extend(pending)
        docs.update(pending_docs)
        pending.clear()
        pending_docs.clear()

    try:
        for dg in document_graphs:
            name, triples, digest = document_quads(dg, base)
            known = docs.get(name.value)
            entry = {"id": dg.document.id, "hash": digest, "triples": len(triples)}
            if known and known.get("hash") == digest and store.contains_named_graph(name):
                report.unchanged.append(dg.document.id)
            elif store.contains_named_graph(name) or name.value in pending_docs:
                flush(store)
                store.update(_replace(name, triples))
                docs[name.value] = entry
                report.replaced.append(dg.document.id)
            else:
                pending.extend(ox.Quad(t.subject, t.predicate, t.object, g) for g in (name, ox.DefaultGraph()) for t in triples)
                pending_docs[name.value] = entry
                report.added.append(dg.document.id)
                if len(pending) >= BATCH:
                    flush(store)
        flush(store)
        store.flush()
        if report.added or report.replaced:
            store.optimize()  # compacts what the transactions wrote: queries run as fast as on a bulk-loaded store
    finally:
        del store
        rdf.write_atomic(store_dir / MARKER, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"))
    return report


def _replace(name: ox.NamedNode, triples: list[ox.Triple]) -> str:
    """One SPARQL Update that swaps a document's graph, and its triples in the merged default graph no other document has."""
    data = " .\n".join(str(t) for t in triples)
    return (f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH {name} {{ ?s ?p ?o }} "
            f"FILTER NOT EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != {name}) }} }} ;\n"
            f"DROP SILENT GRAPH {name} ;\n"
            f"INSERT DATA {{ GRAPH {name} {{\n{data} .\n}}\n{data} .\n}}")  # fmt: skip


def load_file(store: ox.Store, path: Path) -> None:
    """Bulk-load a graph file (ttl, nt, jsonld) into the default graph of ``store``."""
    fmt = {".nt": ox.RdfFormat.N_TRIPLES, ".jsonld": ox.RdfFormat.JSON_LD, ".json": ox.RdfFormat.JSON_LD}.get(path.suffix)
    try:
        store.bulk_load(path=str(path), format=fmt or ox.RdfFormat.TURTLE)
    except (SyntaxError, ValueError) as exc:
        raise StoreError(f"{path}: not a readable RDF graph ({str(exc).splitlines()[0][:200]})") from None


# --------------------------------------------------------------------------- terms and queries


def to_ox(t: Identifier) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(t, Literal):
        if t.language:
            return ox.Literal(str(t), language=t.language)
        return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype)) if t.datatype else None)
    if isinstance(t, BNode):
        return ox.BlankNode(str(t))
    return ox.NamedNode(str(t))


def from_ox(t: Any) -> Identifier | None:
    if t is None:
        return None
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    if t.language:
        return Literal(t.value, lang=t.language)
    dt = t.datatype.value
    return Literal(t.value) if dt == XSD_STRING else Literal(t.value, datatype=URIRef(dt))


def _term(t: Any) -> Identifier:
    out = from_ox(t)
    assert out is not None
    return out


def execute(store: ox.Store, text: str, bindings: dict[str, Identifier] | None = None, **dataset: Any) -> Any:
    """Run a query on an Oxigraph store, kg's prefixes predeclared; ``dataset`` as for ``Store.query``.

    pyoxigraph substitutes only projected variables, so ``bindings`` become a ``VALUES`` block
    that opens the WHERE clause, each term written (and escaped) by pyoxigraph.

    Raises:
        QueryError: on a syntax error (SPARQL Update is not a query, so it is one too).
    """
    from kg.queries import inline_values

    text = inline_values(text, {k: str(to_ox(v)) for k, v in (bindings or {}).items()})
    try:
        return store.query(text, prefixes=PREFIX_MAP, **dataset)
    except SyntaxError as exc:
        raise QueryError(f"query failed: {str(exc).splitlines()[0][:300]}") from None


def query(store_dir: Path, text: str, bindings: dict[str, Identifier] | None = None) -> Result:
    """Run a query on a store folder; the answer as an rdflib ``Result`` (for ``query.format_result``)."""
    answer = execute(open_store(store_dir), text, bindings)
    if isinstance(answer, ox.QueryBoolean):
        res = Result("ASK")
        res.askAnswer = bool(answer)
    elif isinstance(answer, ox.QuerySolutions):
        res = Result("SELECT")
        names = [v.value for v in answer.variables]
        res.vars = [Variable(n) for n in names]
        res.bindings = [{Variable(n): _term(row[n]) for n in names if row[n] is not None} for row in answer]
    else:
        res = Result("CONSTRUCT")
        res.graph = Graph()
        for t in answer:
            res.graph.add((_term(t.subject), _term(t.predicate), _term(t.object)))
    return res


def to_rdflib(store_dir: Path, *, mentions: bool = True) -> Graph:
    """The merged graph of a store as an rdflib graph (without mention nodes unless ``mentions``)."""
    where = "?s ?p ?o" if mentions else "?s ?p ?o FILTER NOT EXISTS { ?s a kg:Mention }"
    g = Graph()
    for t in execute(open_store(store_dir), f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where} }}"):
        g.add((_term(t.subject), _term(t.predicate), _term(t.object)))
    return g


def graphs(store_dir: Path) -> Iterator[tuple[str, bytes]]:
    """Each document's named graph of a store, as (graph IRI, N-Triples)."""
    store = open_store(store_dir)
    for name in sorted(store.named_graphs(), key=lambda n: n.value):
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, name)]
        yield name.value, ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


def split_by_document(g: Graph) -> dict[str | None, Graph]:
    """A merged kg graph as one graph per document (entities repeated in each), the rest under ``None``.

    The union of the parts is ``g`` again.
    """
    parts: dict[str | None, Graph] = {}
    relations = {term(r) for r in RELATIONS}
    for doc in sorted(g.subjects(RDF.type, KG.Document), key=str):
        part = parts[str(doc)] = Graph()
        nodes = {doc, *g.subjects(KG.inDocument, doc)}
        for node in nodes:
            for _, p, o in g.triples((node, None, None)):
                part.add((node, p, o))
        for e in g.subjects(PROV.wasDerivedFrom, doc):
            for _, p, o in g.triples((e, None, None)):
                if p not in relations and (p != PROV.wasDerivedFrom or o == doc):
                    part.add((e, p, o))
        for a in g.subjects(KG.inDocument, doc):
            if (a, RDF.type, KG.Assertion) in g:
                part.add((g.value(a, RDF.subject), g.value(a, RDF.predicate), g.value(a, RDF.object)))  # type: ignore[arg-type]
    rest = Graph()
    covered = set().union(*(set(p) for p in parts.values())) if parts else set()
    for t in g:
        if t not in covered:
            rest.add(t)
    if len(rest):
        parts[None] = rest
    return parts


# --------------------------------------------------------------------------- pushing (Graph Store Protocol)


@dataclass
class PushReport:
    pushed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    triples: int = 0  # the triples of every graph, as pushed or found there


class PushError(Exception):
    """A push that stopped; what was pushed before stays there, and a new push resumes."""


def _graph_url(endpoint: str, name: str | None) -> str:
    sep = "&" if "?" in endpoint else "?"
    return endpoint + sep + ("default" if name is None else "graph=" + urllib.parse.quote(name, safe=""))


def _request(method: str, url: str, *, data: bytes | None, retries: int, backoff: float, timeout: float) -> bytes | None:
    """One GSP request with bounded retries (connection errors, 5xx, 429); ``None`` for a 404 on GET."""
    headers = {"Content-Type": "application/n-triples"} if data is not None else {"Accept": "application/n-triples"}
    last = ""
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            request = urllib.request.Request(url, data=data, method=method, headers=headers)
            with urllib.request.urlopen(request, timeout=timeout) as r:
                body: bytes = r.read()
                return body
        except urllib.error.HTTPError as exc:
            if method == "GET" and exc.code == 404:
                return None
            last = f"HTTP {exc.code} {exc.reason}"
            if exc.code < 500 and exc.code != 429:
                break
        except (urllib.error.URLError, OSError) as exc:
            last = str(getattr(exc, "reason", exc))
    raise PushError(f"{method} {url}: {last} (after {attempt + 1} tries)")


def _count(nt: bytes) -> int:
    return sum(1 for line in nt.splitlines() if line.strip() and not line.lstrip().startswith(b"#"))


def push(source: Path | Graph, endpoint: str, *, retries: int = 3, backoff: float = 0.5, timeout: float = 60.0,
         progress: Callable[[str, str], None] | None = None) -> PushReport:  # fmt: skip
    """PUT each document's named graph to a Graph Store Protocol ``endpoint``, skipping graphs already there.

    Args:
        source: a kg store folder, or a merged graph (split by ``split_by_document``).
        endpoint: the GSP URL (e.g. ``http://127.0.0.1:7878/store`` for Oxigraph).
        retries: how many times a failed request is tried again (connection errors, 5xx, 429).
        backoff: seconds before the first retry, doubled for each next one.
        progress: called with (graph, "pushed"|"skipped") after each graph.

    Raises:
        PushError: when a request fails ``retries + 1`` times or is refused; nothing local is changed.
    """
    if isinstance(source, Graph):
        parts: Iterable[tuple[str | None, bytes]] = ((k, rdf.serialize(v, "nt")) for k, v in split_by_document(source).items())
    else:
        parts = graphs(source)
    report = PushReport()
    for name, nt in parts:
        url, n = _graph_url(endpoint, name), _count(nt)
        remote = _request("GET", url, data=None, retries=retries, backoff=backoff, timeout=timeout)
        label = name or "(default graph)"
        if remote is not None and _count(remote) == n:
            report.skipped.append(label)
        else:
            _request("PUT", url, data=nt, retries=retries, backoff=backoff, timeout=timeout)
            report.pushed.append(label)
        report.triples += n
        if progress:
            progress(label, "skipped" if report.skipped and report.skipped[-1] == label else "pushed")
    return report
