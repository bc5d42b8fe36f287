"""Entities and relations to an RDF graph with provenance, and its serialisations.

The model is documented in docs/DESIGN.md: entities with SKOS labels, one node per document,
sentence and mention, and a reified ``kg:Assertion`` beside every relation triple. No blank
nodes; the same input gives the same triples, and the writers give the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from kg.model import DocumentGraph
from kg.resolve import DEFAULT_BASE
from kg.vocab import KG, term

FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld"}


def document_iri(doc_id: str, base: str = DEFAULT_BASE) -> URIRef:
    return URIRef(f"{base}doc/{doc_id}")


def to_graph(docs: Iterable[DocumentGraph], *, base: str = DEFAULT_BASE) -> Graph:
    """One graph for all ``docs``: an entity met in several documents is one node."""
    g = Graph()
    g.bind("kg", KG._NS)
    g.bind("skos", SKOS)
    g.bind("dcterms", DCTERMS)
    g.bind("prov", PROV)
    g.bind("kgid", base)
    best: dict[URIRef, Decimal] = {}
    for dg in docs:
        doc = dg.document
        d = document_iri(doc.id, base)
        g.add((d, RDF.type, KG.Document))
        g.add((d, DCTERMS.identifier, Literal(doc.id)))
        for prop, value in ((DCTERMS.title, doc.title), (DCTERMS.source, doc.source)):
            if value:
                g.add((d, prop, Literal(value, lang="zh") if prop == DCTERMS.title else Literal(value)))
        if doc.date:
            g.add((d, DCTERMS.date, Literal(doc.date, datatype=XSD.date) if _is_date(doc.date) else Literal(doc.date)))
        sentence_iri = {}
        for s in dg.sentences:
            si = URIRef(f"{d}/s/{s.index}")
            sentence_iri[s.index] = si
        used = {m.sentence for e in dg.entities for m in e.mentions} | {r.sentence for r in dg.relations}
        for s in dg.sentences:
            if s.index not in used:
                continue
            si = sentence_iri[s.index]
            g.add((si, RDF.type, KG.Sentence))
            g.add((si, KG.inDocument, d))
            g.add((si, KG.startOffset, Literal(s.start)))
            g.add((si, KG.endOffset, Literal(s.end)))
            g.add((si, KG.text, Literal(s.text, lang="zh")))
        for e in dg.entities:
            ei = URIRef(e.iri)
            g.add((ei, RDF.type, term(e.cls)))
            g.add((ei, SKOS.prefLabel, Literal(e.label, lang="zh")))
            for a in e.aliases:
                g.add((ei, SKOS.altLabel, Literal(a, lang="zh")))
            g.add((ei, PROV.wasDerivedFrom, d))
            conf = _decimal(e.confidence)
            if conf > best.get(ei, Decimal(-1)):
                g.remove((ei, KG.confidence, None))
                g.add((ei, KG.confidence, Literal(conf)))
                best[ei] = conf
            for m in e.mentions:
                mi = URIRef(f"{d}/m/{m.start}-{m.end}")
                g.add((mi, RDF.type, KG.Mention))
                g.add((mi, KG.refersTo, ei))
                g.add((mi, KG.inSentence, sentence_iri[m.sentence]))
                g.add((mi, KG.inDocument, d))
                g.add((mi, KG.startOffset, Literal(m.start)))
                g.add((mi, KG.endOffset, Literal(m.end)))
                g.add((mi, KG.surfaceForm, Literal(m.surface, lang="zh")))
                g.add((mi, KG.rule, Literal(m.rule)))
                g.add((mi, KG.confidence, Literal(_decimal(m.confidence))))
        for r in dg.relations:
            subj, prop, obj = URIRef(r.subject), term(r.property), URIRef(r.object)
            g.add((subj, prop, obj))
            digest = hashlib.sha1(f"{subj} {prop} {obj} {r.sentence} {r.rule}".encode()).hexdigest()[:16]
            ai = URIRef(f"{d}/a/{digest}")
            g.add((ai, RDF.type, KG.Assertion))
            g.add((ai, RDF.subject, subj))
            g.add((ai, RDF.predicate, prop))
            g.add((ai, RDF.object, obj))
            g.add((ai, KG.inSentence, sentence_iri[r.sentence]))
            g.add((ai, KG.inDocument, d))
            g.add((ai, KG.startOffset, Literal(r.start)))
            g.add((ai, KG.endOffset, Literal(r.end)))
            g.add((ai, KG.rule, Literal(r.rule)))
            g.add((ai, KG.confidence, Literal(_decimal(r.confidence))))
    return g


def _decimal(x: float) -> Decimal:
    return Decimal(str(round(x, 2)))


def _is_date(value: str) -> bool:
    import re

    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


def serialize(g: Graph, fmt: str) -> bytes:
    """The graph in ``fmt`` (``ttl``, ``nt`` or ``jsonld``), the same bytes for the same triples."""
    if fmt == "nt":
        lines = sorted(set(g.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()))
        return ("\n".join(line for line in lines if line.strip()) + "\n").encode("utf-8")
    if fmt == "jsonld":
        data: bytes = g.serialize(format="json-ld", encoding="utf-8", sort_keys=True, indent=1)
        return data
    out: bytes = g.serialize(format="turtle", encoding="utf-8")
    return out


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, flushed and renamed."""
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
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
