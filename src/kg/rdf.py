"""Entities and relations to RDF with provenance, and its serialisations.

The model is documented in docs/DESIGN.md: entities with SKOS labels, one node per document,
sentence and mention, and a reified ``kg:Assertion`` beside every relation triple. No blank
nodes; the same input gives the same triples, and the writers give the same bytes.

Triples are made one document at a time (:func:`document_triples`, cheap to run in a worker
process and to cache), then merged and sorted (:func:`merge`). A subject that only one document
has (the document, its sentences, mentions and assertions) is made at once as its Turtle
statement; the triples about entities, which many documents add to, as N-Triples lines
(:class:`Triples`). Spelled out as sorted lines they are ``graph.nt``; with the lines grouped
by subject they are ``graph.ttl`` (:func:`turtle`); pyoxigraph writes JSON-LD. An rdflib
:class:`Graph` is made only where an API needs one (:func:`to_graph`, ``BuildResult.graph``).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from itertools import chain, compress
from operator import ne
from pathlib import Path
from typing import Any

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


@cache
def _two_places(x: float) -> Decimal:
    return Decimal(str(round(x, 2)))


@cache
def _decimal(x: float) -> str:
    """``x`` to two places, as Turtle writes it: bare (``0.9``), or else as a typed literal."""
    value = str(_two_places(x))
    return value if _DECIMAL.fullmatch(value) else f'"{value}"^^{_DEC}'


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
_IDENTIFIER, _TITLE, _SOURCE, _DATE_P = (f"<{p}>" for p in (DCTERMS.identifier, DCTERMS.title, DCTERMS.source, DCTERMS.date))
_LOCAL = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_DECIMAL = re.compile(r"[0-9]+\.[0-9]+")


@cache
def _short(term: str) -> str:
    """A predicate or class as Turtle writes it: ``kg:runs`` (``a`` for rdf:type); other IRIs as they are."""
    if term == _TYPE:
        return "a"
    value = term[1:-1]
    for prefix, ns in PREFIXES.items():
        if value.startswith(ns) and _LOCAL.fullmatch(value[len(ns) :]):
            return f"{prefix}:{value[len(ns) :]}"
    return term


_DOC_T, _SENT_T, _MENTION_T, _ASSERTION_T = (_short(c) for c in (_DOC, _SENT, _MENTION, _ASSERTION))
_T_IN_DOC, _T_IN_SENT, _T_START, _T_END = (_short(p) for p in (_IN_DOC, _IN_SENT, _START, _END))
_T_TEXT, _T_RULE, _T_CONF, _T_REFERS, _T_SURFACE = (_short(p) for p in (_TEXT, _RULE, _CONF, _REFERS, _SURFACE))
_T_SUBJ, _T_PRED, _T_OBJ = (_short(p) for p in (_SUBJ, _PRED, _OBJ))


# --------------------------------------------------------------------------- triples


@dataclass
class Triples:
    """Sorted, distinct *entries*: N-Triples lines, and Turtle statements.

    A subject that only one document has (the document itself, its sentences, mentions and
    assertions) is written once, as its Turtle statement (``<s> a kg:Mention ;\n\tkg:confidence
    0.9 ; … .\n``), with its predicates in the order of its N-Triples lines; every other triple
    (about entities, met in many documents) is an N-Triples line. Since no subject IRI is a
    prefix of another, sorting the entries sorts the lines. So neither the merge nor the Turtle
    writer goes through those subjects' lines one by one; the N-Triples export spells them out.

    Entries are UTF-8 bytes: they sort as the text does, faster, are written out as they are, and
    a worker process sends them back three times as fast as text.
    """

    entries: list[bytes] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The N-Triples lines themselves, sorted."""
        return [line for e in self.entries for line in (_statement_lines(e) if e.endswith(b"\n") else (e.decode(),))]

    def count(self) -> int:
        """How many triples."""
        return sum(e.count(b" ;\n\t") + 1 for e in self.entries)


@dataclass
class DocumentTriples:
    """The triples of one document: entries as in :class:`Triples` (sorted, maybe repeated), and
    the best confidence of each entity it names.

    An entity's ``kg:confidence`` is the best over all documents, so it is added by :func:`merge`.
    """

    document: str = ""  # the document's IRI, as an N-Triples term
    entries: list[bytes] = field(default_factory=list)
    confidence: dict[str, str] = field(default_factory=dict)  # entity term -> decimal literal


def document_triples(dg: DocumentGraph, *, base: str = DEFAULT_BASE) -> DocumentTriples:
    """Everything ``dg`` says: lines about its entities, a statement for each document-local subject.

    A statement's predicates are written in the order of their N-Triples lines (rdf:type's
    namespace, ``http:``, sorts before kg's, ``https:``); ``tests/test_rdf.py`` checks that it
    holds the triples of its lines, sorted.
    """
    doc = dg.document
    d = iri(f"{base}doc/{doc.id}")
    out = DocumentTriples(d)
    made: list[str] = []
    add = made.append
    about = [(_TYPE, _DOC_T), (_IDENTIFIER, literal(doc.id))]
    if doc.title:
        about.append((_TITLE, _zh(doc.title)))
    if doc.source:
        about.append((_SOURCE, literal(doc.source)))
    if doc.date:
        about.append((_DATE_P, literal(doc.date, datatype=_DATE if _is_date(doc.date) else None)))
    add(f"{d} " + " ;\n\t".join(f"{_short(p)} {o}" for p, o in sorted(about)) + " .\n")
    prefix = d[1:-1]  # already a valid IRI: what is appended below (/s/3, /m/10-14, /a/<hex>) needs no escaping
    sentence = {s.index: f"<{prefix}/s/{s.index}>" for s in dg.sentences}
    used = {m.sentence for e in dg.entities for m in e.mentions} | {r.sentence for r in dg.relations}
    for s in dg.sentences:
        if s.index in used:
            add(
                f"{sentence[s.index]} a {_SENT_T} ;\n\t{_T_END} {s.end} ;\n\t{_T_IN_DOC} {d} ;\n"
                f"\t{_T_START} {s.start} ;\n\t{_T_TEXT} {_zh(s.text)} .\n"
            )
    nodes: set[str] = set()  # mentions and assertions: two of one span or one digest would be one subject
    for e in dg.entities:
        ei = iri(e.iri)
        add(f"{ei} {_TYPE} {_kg(e.cls)} .")
        add(f"{ei} {_PREF} {_zh(e.label)} .")
        for a in e.aliases:
            add(f"{ei} {_ALT} {_zh(a)} .")
        add(f"{ei} {_DERIVED} {d} .")
        conf = _two_places(e.confidence)
        if ei not in out.confidence or conf > Decimal(out.confidence[ei]):
            out.confidence[ei] = str(conf)
        for m in e.mentions:
            mi = f"<{prefix}/m/{m.start}-{m.end}>"
            nodes.add(mi)
            add(
                f"{mi} a {_MENTION_T} ;\n\t{_T_CONF} {_decimal(m.confidence)} ;\n\t{_T_END} {m.end} ;\n"
                f"\t{_T_IN_DOC} {d} ;\n\t{_T_IN_SENT} {sentence[m.sentence]} ;\n\t{_T_REFERS} {ei} ;\n"
                f"\t{_T_RULE} {_rule(m.rule)} ;\n\t{_T_START} {m.start} ;\n\t{_T_SURFACE} {_zh(m.surface)} .\n"
            )
    for r in dg.relations:
        subj, prop, obj = iri(r.subject), _kg(r.property), iri(r.object)
        add(f"{subj} {prop} {obj} .")
        digest = hashlib.sha1(f"{r.subject} {NS}{r.property} {r.object} {r.sentence} {r.rule}".encode()).hexdigest()[:16]
        ai = f"<{prefix}/a/{digest}>"
        nodes.add(ai)
        add(
            f"{ai} {_T_OBJ} {obj} ;\n\t{_T_PRED} {_short(prop)} ;\n\t{_T_SUBJ} {subj} ;\n\ta {_ASSERTION_T} ;\n"
            f"\t{_T_CONF} {_decimal(r.confidence)} ;\n\t{_T_END} {r.end} ;\n\t{_T_IN_DOC} {d} ;\n"
            f"\t{_T_IN_SENT} {sentence[r.sentence]} ;\n\t{_T_RULE} {_rule(r.rule)} ;\n\t{_T_START} {r.start} .\n"
        )
    out.entries = [e.encode() for e in made]
    if len(nodes) < sum(len(e.mentions) for e in dg.entities) + len(dg.relations):
        out.entries = _split_clashes(out.entries)
    out.entries.sort()  # here, in a worker: the merge then finds sorted runs
    return out


def _statement_lines(statement: bytes) -> list[str]:
    """The N-Triples lines of a Turtle statement made by :func:`document_triples`."""
    s, parts = _statement_parts(statement)
    out = []
    for p, o in parts:
        if o[0] not in "<\"":  # a bare number, or a class
            o = (f'"{o}"^^{_DEC}' if "." in o else f'"{o}"^^{_INT}') if o[0].isdigit() else _long(o)
        out.append(f"{s} {p} {o} .")
    return out


def _statement_parts(statement: bytes) -> tuple[str, list[tuple[str, str]]]:
    """The subject of a Turtle statement made by :func:`document_triples`, and its (predicate as an
    IRI, object as the statement holds it) pairs.

    Its terms are N-Triples terms but for prefixed names (predicates, classes), ``a``, and bare
    integers and decimals; its literals hold no raw newline or tab, so ``" ;\\n\\t"`` parts it.
    """
    s, rest = statement.decode()[:-3].split(" ", 1)
    pairs = []
    for part in rest.split(" ;\n\t"):
        p, o = part.split(" ", 1)
        pairs.append((_long(p), o))
    return s, pairs


def _subject_parts(triples: Triples) -> Iterator[tuple[str, Sequence[tuple[str, str]]]]:
    """Each entry's subject, and its (predicate as an IRI, object) pairs: one for a line, those of
    a statement. A reader of all triples (:func:`_entry_terms`) or of a few predicates
    (:func:`by_predicate`) goes through the entries here."""
    for entry in triples.entries:
        if entry.endswith(b"\n"):  # a statement
            yield _statement_parts(entry)
        else:
            s, p, o = entry.decode()[:-2].split(" ", 2)
            yield s, ((p, o),)


@cache
def _long(name: str) -> str:
    """``kg:runs`` as ``<https://w3id.org/kg-policy/ontology#runs>`` (``a`` as rdf:type); an IRI as it is."""
    if name == "a":
        return _TYPE
    if name[0] == "<":
        return name
    prefix, local = name.split(":", 1)
    return f"<{PREFIXES[prefix]}{local}>"


def _split_clashes(entries: list[bytes]) -> list[bytes]:
    """``entries`` with the statements that share a subject (two mentions of one span, two
    documents with one IRI) made into lines again, so that the subject's lines are sorted together.
    (A statement never shares its subject with a line: a document-local subject has only its statement.)"""
    statements = [e for e in entries if e.endswith(b"\n")]
    subjects = Counter(e[: e.index(b" ")] for e in statements)
    split = {e for e in statements if subjects[e[: e.index(b" ")]] > 1}
    return [e for e in entries if e not in split] + [line.encode() for e in split for line in _statement_lines(e)]


def merge(parts: Iterable[DocumentTriples]) -> Triples:
    """The triples of all documents, sorted and distinct; an entity met in several keeps its best confidence."""
    out = Triples()
    best: dict[str, Decimal] = {}
    documents: set[str] = set()
    n = 0
    for part in parts:
        out.entries += part.entries
        documents.add(part.document)
        n += 1
        for ei, conf in part.confidence.items():
            c = Decimal(conf)
            if ei not in best or c > best[ei]:
                best[ei] = c
    out.entries += [f'{ei} {_CONF} "{c}"^^{_DEC} .'.encode() for ei, c in best.items()]
    if len(documents) < n:  # two documents with one IRI
        out.entries = _split_clashes(out.entries)
    out.entries.sort()
    # each entry that differs from the one before it: the loop runs in C (a third faster)
    out.entries = list(compress(out.entries, map(ne, out.entries, chain((b"",), out.entries))))
    return out


def to_triples(docs: Iterable[DocumentGraph], *, base: str = DEFAULT_BASE) -> Triples:
    return merge(document_triples(dg, base=base) for dg in docs)


def to_graph(docs: Iterable[DocumentGraph], *, base: str = DEFAULT_BASE) -> Graph:
    """One rdflib graph for all ``docs``: an entity met in several documents is one node."""
    return graph_of(to_triples(docs, base=base))


def graph_of(triples: Triples) -> Graph:
    """An rdflib graph of ``triples``, with kg's prefixes bound.

    The terms are read from the entries (:func:`_entry_terms`), and the graph lives in rdflib's
    ``SimpleMemory`` store: one graph needs no contexts, and it fills faster. Filling it still
    costs some 10 µs a triple; :func:`by_predicate` is cheaper where a reader needs less.
    """
    g = Graph(store="SimpleMemory")
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    g.store.addN((s, p, o, g) for s, p, o in _rdflib_triples(triples))  # our terms need no checks
    return g


def by_predicate(triples: Triples, predicates: Collection[str]) -> dict[Node, list[tuple[Node, Node]]]:
    """The (subject, object) pairs of each of ``predicates`` in ``triples``, as rdflib terms, in
    the order of the sorted triples: what a reader of a few properties needs, without a store.
    Only the terms of these triples are made."""
    pairs: dict[str, list[tuple[Node, Node]]] = {f"<{p}>": [] for p in predicates}
    wanted = pairs.get
    term = _rdflib_terms()
    for s, parts in _subject_parts(triples):
        subject: Node | None = None  # made once for a statement's parts, and only if one is wanted
        for p, o in parts:
            found = wanted(p)
            if found is not None:
                if subject is None:
                    subject = term(s)
                found.append((subject, term(o)))
    return {URIRef(p[1:-1]): found for p, found in pairs.items()}


def _rdflib_triples(triples: Triples) -> Iterator[tuple[Node, Node, Node]]:
    """``triples`` as rdflib terms, each term made once."""
    term = _rdflib_terms()
    for s, p, o in _entry_terms(triples):
        yield term(s), term(p), term(o)


def _entry_terms(triples: Triples) -> Iterator[tuple[str, str, str]]:
    """The text of each triple's terms, read from the entries as they are (predicates as IRIs).

    Parsing the Turtle with pyoxigraph and converting its terms to rdflib's took three times as long.
    """
    for s, parts in _subject_parts(triples):
        for p, o in parts:
            yield s, p, o


def _rdflib_terms() -> Callable[[str], Node]:
    """A maker of rdflib terms from their text (:func:`_rdflib_term`), each made once."""
    terms: dict[str, Node] = {}

    def term(text: str) -> Node:
        got = terms.get(text)
        if got is None:
            got = terms[text] = _rdflib_term(text)
        return got

    return term


_STRING = str(XSD.string)
_UNESCAPE = re.compile(r'\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))', re.S)
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(m: re.Match[str]) -> str:
    code = m.group(1) or m.group(2)
    return chr(int(code, 16)) if code else _ECHARS.get(m.group(3), m.group())


def _rdflib_term(text: str) -> Node:
    """An N-Triples term, or an object as a statement of :func:`document_triples` holds it (a class
    as a prefixed name, a bare integer or decimal), as an rdflib term."""
    if text[0] == "<":
        return URIRef(text[1:-1])
    if text[0] == '"':
        end = text.rindex('"')  # the language tag or datatype after it holds no quote
        value = text[1:end]
        if "\\" in value:
            value = _UNESCAPE.sub(_unescape, value)
        tail = text[end + 1 :]
        if tail.startswith("@"):
            return Literal(value, lang=tail[1:])
        datatype = tail[3:-1] if tail.startswith("^^") else _STRING
        return Literal(value, datatype=None if datatype == _STRING else datatype)
    if text[0].isdigit():
        return Literal(text, datatype=XSD.decimal if "." in text else XSD.integer)
    if text.startswith("_:"):
        return BNode(text[2:])
    return URIRef(_long(text)[1:-1])


def _parsed(triples: Triples) -> Iterable[Any]:
    """``triples`` as pyoxigraph triples: it parses their Turtle faster than rdflib would."""
    import pyoxigraph as ox

    return ox.parse(turtle(triples), format=ox.RdfFormat.TURTLE) if triples.entries else ()


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
    return encode(Triples([line.encode() for line in lines_of(g)]), fmt)


def encode(triples: Triples, fmt: str) -> bytes:
    """``triples`` as ``fmt``: the sorted N-Triples lines, Turtle (:func:`turtle`), or JSON-LD by pyoxigraph."""
    if fmt == "nt":
        return ("\n".join(triples.lines()) + "\n").encode("utf-8") if triples.entries else b""
    if fmt == "ttl":
        return turtle(triples)
    if fmt == "jsonld":
        import pyoxigraph as ox

        return bytes(ox.serialize(_parsed(triples), format=ox.RdfFormat.JSON_LD) or b"")
    raise ValueError(f"unknown format {fmt!r}")


_INT_TAIL = f'"^^{_INT}'.encode()
_DEC_TAIL = f'"^^{_DEC}'.encode()
_TYPE_B, _PRED_B = _TYPE.encode(), _PRED.encode()
_DECIMAL_B = re.compile(rb"[0-9]+\.[0-9]+")


@cache
def _short_b(term: bytes) -> bytes:
    return _short(term.decode()).encode()


def turtle(triples: Triples) -> bytes:
    """``triples`` as Turtle: one statement per subject, kg's prefixes, bare numbers.

    Every N-Triples term is a Turtle term too, so only predicates, classes and numbers are
    shortened; the result holds exactly the triples (tests parse both to check). Statements
    are there already; lines are grouped by subject here.
    """
    out = [f"@prefix {p}: <{ns}> .\n".encode() for p, ns in sorted(PREFIXES.items())]
    add = out.append
    prev_s = prev_p = b""
    int_cut, dec_cut = -len(_INT_TAIL), -len(_DEC_TAIL)
    for line in triples.entries:
        if line.endswith(b"\n"):  # a statement
            if prev_s:
                add(b" .\n")
                prev_s = b""
            add(line)
            continue
        s, p, o = line[:-2].split(b" ", 2)
        if o.startswith(b"<"):
            if p == _TYPE_B or p == _PRED_B:
                o = _short_b(o)
        elif o.endswith(b">"):  # a typed literal: integers and decimals are written bare
            if o.endswith(_INT_TAIL):
                if o[1:int_cut].isdigit():
                    o = o[1:int_cut]
            elif o.endswith(_DEC_TAIL) and _DECIMAL_B.fullmatch(o[1:dec_cut]):
                o = o[1:dec_cut]
        if s != prev_s:
            if prev_s:
                add(b" .\n")
            add(s + b" " + _short_b(p) + b" " + o)
            prev_s, prev_p = s, p
        elif p != prev_p:
            add(b" ;\n\t" + _short_b(p) + b" " + o)
            prev_p = p
        else:
            add(b" , " + o)
    if prev_s:
        add(b" .\n")
    return b"".join(out)


_STATEMENT_TYPE = re.compile(rb"(?:^\S+ |\t)a (\S+) [;.]")


def counts(triples: Triples) -> Counter[str]:
    """Distinct subjects by type (``kg:`` local names) and distinct subject-object pairs by relation."""
    by_type: dict[str, set[bytes]] = defaultdict(set)
    pairs: dict[str, set[tuple[bytes, bytes]]] = defaultdict(set)
    relations = {_kg(p).encode(): p for p in RELATIONS}
    for line in triples.entries:
        if line.endswith(b"\n"):  # a statement: of a document-local subject, only its type counts
            m = _STATEMENT_TYPE.search(line)
            if m:
                by_type[_long(m.group(1).decode())[1:-1].removeprefix(NS)].add(line[: line.index(b" ")])
            continue
        s, p, o = line[:-2].split(b" ", 2)
        if p == _TYPE_B:
            by_type[o[1:-1].decode().removeprefix(NS)].add(s)
        elif p in relations:
            pairs[relations[p]].add((s, o))
    c: Counter[str] = Counter({t: len(v) for t, v in by_type.items()})
    for name in RELATIONS:
        c[name] = len(pairs[name])
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
