"""Entities and relations to RDF with provenance, and its serialisations.

The model is documented in docs/DESIGN.md: entities with SKOS labels, one node per document,
sentence and mention, and a reified ``kg:Assertion`` beside every relation triple. No blank
nodes; the same input gives the same triples, and the writers give the same bytes.

Triples are made as N-Triples lines (plain strings), one document at a time
(:func:`document_triples`, cheap to run in a worker process and to cache), then merged and
sorted (:func:`merge`). The sorted lines are ``graph.nt``; grouped by subject they are
``graph.ttl`` (:func:`turtle`); pyoxigraph writes JSON-LD. An rdflib :class:`Graph` is made only
where an API needs one (:func:`to_graph`, ``BuildResult.graph``).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS, XSD
from rdflib.term import Node

from kg.model import DocumentGraph
from kg.resolve import DEFAULT_BASE
from kg.vocab import NS, RELATIONS

FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld"}
PREFIXES = {"kg": NS, "skos": str(SKOS), "dcterms": str(DCTERMS), "prov": str(PROV), "rdf": str(RDF), "xsd": str(XSD)}

_TYPE = f"<{RDF.type}>"
_INT = f"<{XSD.integer}>"
_DEC = f"<{XSD.decimal}>"
_DATE = f"<{XSD.date}>"
_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\\ud800-\udfff\x7f]')
_BAD_LITERAL = re.compile(r'["\\\x00-\x1f\x7f\ud800-\udfff]')
_ECHAR = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def document_iri(doc_id: str, base: str = DEFAULT_BASE) -> URIRef:
    return URIRef(f"{base}doc/{doc_id}")


# --------------------------------------------------------------------------- terms


def iri(value: str) -> str:
    """``<value>`` as an N-Triples IRI; characters an IRI cannot hold are percent-encoded."""
    if _BAD_IRI.search(value):
        value = _BAD_IRI.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8", "surrogatepass")), value)
    return f"<{value}>"


def literal(value: str, *, lang: str | None = None, datatype: str | None = None) -> str:
    """An N-Triples literal; quotes, backslashes and controls escaped, lone surrogates replaced."""
    if _BAD_LITERAL.search(value):
        value = _BAD_LITERAL.sub(_escape, value)
    if lang:
        return f'"{value}"@{lang}'
    if datatype:
        return f'"{value}"^^{datatype}'
    return f'"{value}"'


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    if c in _ECHAR:
        return _ECHAR[c]
    if "\ud800" <= c <= "\udfff":
        return "\ufffd"
    return f"\\u{ord(c):04X}"


def _kg(local: str) -> str:
    return f"<{NS}{local}>"


def _int(n: int) -> str:
    return f'"{n}"^^{_INT}'


@cache
def _decimal(x: float) -> str:
    return f'"{Decimal(str(round(x, 2)))}"^^{_DEC}'


@cache
def _rule(rule_id: str) -> str:
    return literal(rule_id)


def _zh(text: str) -> str:
    return literal(text, lang="zh")


_DOC, _SENT, _MENTION, _ASSERTION = _kg("Document"), _kg("Sentence"), _kg("Mention"), _kg("Assertion")
_IN_DOC, _IN_SENT, _START, _END = _kg("inDocument"), _kg("inSentence"), _kg("startOffset"), _kg("endOffset")
_TEXT, _RULE, _CONF, _REFERS, _SURFACE = _kg("text"), _kg("rule"), _kg("confidence"), _kg("refersTo"), _kg("surfaceForm")
_PREF, _ALT, _DERIVED = f"<{SKOS.prefLabel}>", f"<{SKOS.altLabel}>", f"<{PROV.wasDerivedFrom}>"
_SUBJ, _PRED, _OBJ = f"<{RDF.subject}>", f"<{RDF.predicate}>", f"<{RDF.object}>"


# --------------------------------------------------------------------------- triples


@dataclass
class DocumentTriples:
    """The N-Triples lines of one document, and the best confidence of each entity it names.

    An entity's ``kg:confidence`` is the best over all documents, so it is added by :func:`merge`.
    """

    lines: list[str] = field(default_factory=list)
    confidence: dict[str, str] = field(default_factory=dict)  # entity term -> decimal literal


def document_triples(dg: DocumentGraph, *, base: str = DEFAULT_BASE) -> DocumentTriples:
    """Everything ``dg`` says, as sorted, distinct N-Triples lines."""
    out = DocumentTriples()
    add = out.lines.append
    doc = dg.document
    d = iri(f"{base}doc/{doc.id}")
    add(f"{d} {_TYPE} {_DOC} .")
    add(f"{d} <{DCTERMS.identifier}> {literal(doc.id)} .")
    if doc.title:
        add(f"{d} <{DCTERMS.title}> {_zh(doc.title)} .")
    if doc.source:
        add(f"{d} <{DCTERMS.source}> {literal(doc.source)} .")
    if doc.date:
        add(f"{d} <{DCTERMS.date}> {literal(doc.date, datatype=_DATE if _is_date(doc.date) else None)} .")
    prefix = d[1:-1]  # already a valid IRI: what is appended below (/s/3, /m/10-14, /a/<hex>) needs no escaping
    sentence = {s.index: f"<{prefix}/s/{s.index}>" for s in dg.sentences}
    used = {m.sentence for e in dg.entities for m in e.mentions} | {r.sentence for r in dg.relations}
    for s in dg.sentences:
        if s.index in used:
            si = sentence[s.index]
            add(f"{si} {_TYPE} {_SENT} .")
            add(f"{si} {_IN_DOC} {d} .")
            add(f"{si} {_START} {_int(s.start)} .")
            add(f"{si} {_END} {_int(s.end)} .")
            add(f"{si} {_TEXT} {_zh(s.text)} .")
    for e in dg.entities:
        ei = iri(e.iri)
        add(f"{ei} {_TYPE} {_kg(e.cls)} .")
        add(f"{ei} {_PREF} {_zh(e.label)} .")
        for a in e.aliases:
            add(f"{ei} {_ALT} {_zh(a)} .")
        add(f"{ei} {_DERIVED} {d} .")
        conf = Decimal(str(round(e.confidence, 2)))
        if ei not in out.confidence or conf > Decimal(out.confidence[ei]):
            out.confidence[ei] = str(conf)
        for m in e.mentions:
            mi = f"<{prefix}/m/{m.start}-{m.end}>"
            add(f"{mi} {_TYPE} {_MENTION} .")
            add(f"{mi} {_REFERS} {ei} .")
            add(f"{mi} {_IN_SENT} {sentence[m.sentence]} .")
            add(f"{mi} {_IN_DOC} {d} .")
            add(f"{mi} {_START} {_int(m.start)} .")
            add(f"{mi} {_END} {_int(m.end)} .")
            add(f"{mi} {_SURFACE} {_zh(m.surface)} .")
            add(f"{mi} {_RULE} {_rule(m.rule)} .")
            add(f"{mi} {_CONF} {_decimal(m.confidence)} .")
    for r in dg.relations:
        subj, prop, obj = iri(r.subject), _kg(r.property), iri(r.object)
        add(f"{subj} {prop} {obj} .")
        digest = hashlib.sha1(f"{r.subject} {NS}{r.property} {r.object} {r.sentence} {r.rule}".encode()).hexdigest()[:16]
        ai = f"<{prefix}/a/{digest}>"
        add(f"{ai} {_TYPE} {_ASSERTION} .")
        add(f"{ai} {_SUBJ} {subj} .")
        add(f"{ai} {_PRED} {prop} .")
        add(f"{ai} {_OBJ} {obj} .")
        add(f"{ai} {_IN_SENT} {sentence[r.sentence]} .")
        add(f"{ai} {_IN_DOC} {d} .")
        add(f"{ai} {_START} {_int(r.start)} .")
        add(f"{ai} {_END} {_int(r.end)} .")
        add(f"{ai} {_RULE} {_rule(r.rule)} .")
        add(f"{ai} {_CONF} {_decimal(r.confidence)} .")
    out.lines = sorted(set(out.lines))
    return out


def merge(parts: Iterable[DocumentTriples]) -> list[str]:
    """The sorted, distinct lines of all documents; an entity met in several keeps its best confidence.

    Each part's lines are sorted already, so the one sort here mostly merges runs.
    """
    lines: list[str] = []
    best: dict[str, Decimal] = {}
    for part in parts:
        lines += part.lines
        for ei, conf in part.confidence.items():
            c = Decimal(conf)
            if ei not in best or c > best[ei]:
                best[ei] = c
    lines += sorted(f'{ei} {_CONF} "{c}"^^{_DEC} .' for ei, c in best.items())
    lines.sort()
    return [line for line, before in zip(lines, ["", *lines], strict=False) if line != before]


def to_lines(docs: Iterable[DocumentGraph], *, base: str = DEFAULT_BASE) -> list[str]:
    return merge(document_triples(dg, base=base) for dg in docs)


def to_graph(docs: Iterable[DocumentGraph], *, base: str = DEFAULT_BASE) -> Graph:
    """One rdflib graph for all ``docs``: an entity met in several documents is one node."""
    return graph_of(to_lines(docs, base=base))


def graph_of(lines: list[str]) -> Graph:
    """An rdflib graph of N-Triples ``lines``, with kg's prefixes bound.

    pyoxigraph parses (rdflib's own N-Triples parser is some 50% slower), and the graph lives in
    rdflib's ``SimpleMemory`` store: one graph needs no contexts, and it fills faster.
    """
    import pyoxigraph as ox

    g = Graph(store="SimpleMemory")
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    terms: dict[object, Node] = {}

    def term(t: object) -> Node:
        got = terms.get(t)
        if got is None:
            if isinstance(t, ox.NamedNode):
                got = URIRef(t.value)
            elif isinstance(t, ox.Literal):
                dt = None if t.language or t.datatype.value == _STRING else t.datatype.value
                got = Literal(t.value, lang=t.language, datatype=dt)
            else:
                got = BNode(str(t)[2:])
            terms[t] = got
        return got

    if lines:
        parsed = ox.parse(encode(lines, "nt"), format=ox.RdfFormat.N_TRIPLES)
        g.addN((term(t.subject), term(t.predicate), term(t.object), g) for t in parsed)
    return g


_STRING = str(XSD.string)


def _is_date(value: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


# --------------------------------------------------------------------------- writers


def lines_of(g: Graph) -> list[str]:
    """The sorted, distinct N-Triples lines of an rdflib graph, written as :func:`document_triples` writes them."""
    return sorted({f"{_term(s)} {_term(p)} {_term(o)} ." for s, p, o in g})


def _term(node: object) -> str:
    if isinstance(node, Literal):
        return literal(str(node), lang=node.language, datatype=f"<{node.datatype}>" if node.datatype else None)
    if isinstance(node, BNode):
        return f"_:{node}"
    return iri(str(node))


def serialize(g: Graph, fmt: str) -> bytes:
    """The graph in ``fmt`` (``ttl``, ``nt`` or ``jsonld``), the same bytes for the same triples."""
    return encode(lines_of(g), fmt)


def encode(lines: list[str], fmt: str) -> bytes:
    """Sorted N-Triples ``lines`` as ``fmt``: the lines themselves, Turtle (:func:`turtle`), or JSON-LD by pyoxigraph."""
    if fmt == "nt":
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
    if fmt == "ttl":
        return turtle(lines)
    if fmt == "jsonld":
        import pyoxigraph as ox

        triples = ox.parse(encode(lines, "nt"), format=ox.RdfFormat.N_TRIPLES)
        return bytes(ox.serialize(triples, format=ox.RdfFormat.JSON_LD) or b"")
    raise ValueError(f"unknown format {fmt!r}")


_INT_TAIL = f'"^^{_INT}'
_DEC_TAIL = f'"^^{_DEC}'
_LOCAL = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_DECIMAL = re.compile(r"[0-9]+\.[0-9]+")


def turtle(lines: list[str]) -> bytes:
    """Sorted N-Triples ``lines`` as Turtle: one block per subject, kg's prefixes, bare numbers.

    Every N-Triples term is a Turtle term too, so only predicates, classes and numbers are
    shortened; the result holds exactly the triples of ``lines`` (tests parse both to check).
    """
    short: dict[str, str] = {}
    out = [f"@prefix {p}: <{ns}> .\n" for p, ns in sorted(PREFIXES.items())]
    add = out.append
    prev_s = prev_p = ""
    int_cut, dec_cut = -len(_INT_TAIL), -len(_DEC_TAIL)
    for line in lines:
        s, p, o = line[:-2].split(" ", 2)
        if o[0] == "<":
            if p == _TYPE or p == _PRED:
                o = _prefixed(o, short)
        elif o[-1] == ">":  # a typed literal: integers and decimals are written bare
            if o.endswith(_INT_TAIL):
                if o[1:int_cut].isdigit():
                    o = o[1:int_cut]
            elif o.endswith(_DEC_TAIL) and _DECIMAL.fullmatch(o[1:dec_cut]):
                o = o[1:dec_cut]
        if s != prev_s:
            if prev_s:
                add(" .\n")
            add(f"{s} {_prefixed(p, short)} {o}")
            prev_s, prev_p = s, p
        elif p != prev_p:
            add(f" ;\n\t{_prefixed(p, short)} {o}")
            prev_p = p
        else:
            add(f" , {o}")
    if prev_s:
        add(" .\n")
    return "".join(out).encode("utf-8")


def _prefixed(term: str, memo: dict[str, str]) -> str:
    """``<https://w3id.org/kg-policy/ontology#runs>`` as ``kg:runs`` (``a`` for rdf:type); other IRIs as they are."""
    got = memo.get(term)
    if got is None:
        got = term
        iri = term[1:-1]
        if term == _TYPE:
            got = "a"
        else:
            for prefix, ns in PREFIXES.items():
                if iri.startswith(ns) and _LOCAL.fullmatch(iri[len(ns) :]):
                    got = f"{prefix}:{iri[len(ns) :]}"
                    break
        memo[term] = got
    return got


def counts(lines: Iterable[str]) -> Counter[str]:
    """Distinct subjects by type (``kg:`` local names) and distinct subject-object pairs by relation."""
    by_type: dict[str, set[str]] = defaultdict(set)
    pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    relations = {_kg(p): p for p in RELATIONS}
    for line in lines:
        s, p, o = line[:-2].split(" ", 2)
        if p == _TYPE:
            by_type[o[1:-1].removeprefix(NS)].add(s)
        elif p in relations:
            pairs[relations[p]].add((s, o))
    c: Counter[str] = Counter({t: len(v) for t, v in by_type.items()})
    for p in RELATIONS:
        c[p] = len(pairs[p])
    return c


def write_all(files: dict[Path, bytes]) -> None:
    """Replace several files as nearly at once as can be: all are written and flushed first, then renamed.

    A failure before the renames leaves every old file as it was, and no temporary file.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            staged.append((_stage(path, data), path))
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    for tmp, path in staged:
        os.replace(tmp, path)
    for folder in {path.parent for path in files}:
        _fsync_dir(folder)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, flushed and renamed."""
    write_all({path: data})


def _stage(path: Path, data: bytes) -> str:
    """``data`` in a flushed temporary file beside ``path``; its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.fchmod(fd, 0o666 & ~umask)  # the mode a plain open() would give, not mkstemp's 0600
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable: fsync the folder that holds it (where the platform allows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def clean_stale(folder: Path) -> list[Path]:
    """Remove temporary files that a killed build left in ``folder`` (``.graph.*.tmp``).

    Call it only while holding the folder's build lock: another build's files look the same.
    """
    removed = []
    if folder.is_dir():
        for p in folder.glob(".graph.*.tmp"):
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed
