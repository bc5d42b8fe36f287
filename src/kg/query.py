"""SPARQL over a graph: running read-only queries, formatting results, explaining entities.

Results are written as a plain table, or in the SPARQL 1.1 Query Results CSV, TSV or JSON formats.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.query import Result

from kg.vocab import KG

PREFIXES = """PREFIX kg: <https://w3id.org/kg-policy/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""


class QueryError(Exception):
    """A query that cannot be run: a syntax error, or an update on a read-only graph."""


def run(graph: Graph, text: str, bindings: dict[str, Any] | None = None) -> Result:
    """Run a read-only SPARQL query; the kg, skos, rdf, rdfs, dcterms and prov prefixes are predeclared.

    Raises:
        QueryError: on a syntax error, or for SPARQL Update.
    """
    body = re.sub(r"#[^\n]*", "", text)
    if re.search(r"\b(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY)\b\s", body, re.IGNORECASE) and not re.search(
        r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", body, re.IGNORECASE
    ):
        raise QueryError("SPARQL Update is not allowed: the graph is read-only")
    declared = {m.group(1) for m in re.finditer(r"PREFIX\s+(\w*):", text, re.IGNORECASE)}
    prefixes = "".join(line + "\n" for line in PREFIXES.splitlines() if line.split()[1][:-1] not in declared)
    try:
        return graph.query(prefixes + text, initBindings=bindings or {})
    except Exception as exc:  # noqa: BLE001 - pyparsing and rdflib raise many kinds
        raise QueryError(f"query failed: {exc.__class__.__name__}: {str(exc).splitlines()[0][:300]}") from None


def _cell(value: object) -> str:
    if value is None:
        return ""
    return str(value)


def format_result(result: Result, fmt: str) -> str:
    """``table``, ``csv``, ``tsv`` (SPARQL 1.1 Query Results CSV and TSV) or ``json`` (SPARQL 1.1 Query Results JSON)."""
    if result.type == "ASK":
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": bool(result.askAnswer)}) + "\n"
        return ("true" if result.askAnswer else "false") + "\n"
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        g = result.graph
        assert g is not None
        data: bytes = g.serialize(format="turtle", encoding="utf-8")
        return data.decode("utf-8")
    names = [str(v) for v in result.vars or []]
    rows = [[row[i] if i < len(row) else None for i in range(len(names))] for row in result]  # type: ignore[index, arg-type]
    if fmt == "json":
        bindings = [{n: _term_json(v) for n, v in zip(names, row, strict=True) if v is not None} for row in rows]
        return json.dumps({"head": {"vars": names}, "results": {"bindings": bindings}}, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(names)
        w.writerows([[_cell(v) for v in row] for row in rows])
        return buf.getvalue()
    if fmt == "tsv":
        lines = ["\t".join(f"?{n}" for n in names)] + ["\t".join(_term_tsv(v) for v in row) for row in rows]
        return "\n".join(lines) + "\n"
    return _table(names, [[_cell(v) for v in row] for row in rows])


def _term_json(v: object) -> dict[str, str]:
    if isinstance(v, URIRef):
        return {"type": "uri", "value": str(v)}
    if isinstance(v, BNode):
        return {"type": "bnode", "value": str(v)}
    if isinstance(v, Literal):
        out = {"type": "literal", "value": str(v)}
        if v.language:
            out["xml:lang"] = v.language
        elif v.datatype:
            out["datatype"] = str(v.datatype)
        return out
    return {"type": "literal", "value": str(v)}


def _term_tsv(v: object) -> str:
    """A term in the TSV results format: N-Triples syntax, with tabs and line breaks escaped."""
    if v is None:
        return ""
    if isinstance(v, Literal):
        body = str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
        if v.language:
            return f'"{body}"@{v.language}'
        if v.datatype and str(v.datatype) != "http://www.w3.org/2001/XMLSchema#string":
            return f'"{body}"^^<{v.datatype}>'
        return f'"{body}"'
    if isinstance(v, BNode):
        return f"_:{v}"
    return f"<{v}>"


def _width(s: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if "\u2e80" <= c <= "\uffef" else 1 for c in s)


def _table(names: list[str], rows: list[list[str]]) -> str:
    widths = [max([_width(n)] + [_width(r[i]) for r in rows]) for i, n in enumerate(names)]

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(names), "  ".join("-" * w for w in widths)] + [line(r) for r in rows]
    return "\n".join(out) + f"\n({len(rows)} row{'s' if len(rows) != 1 else ''})\n"


EVIDENCE_QUERY = """
SELECT ?rule ?doc ?start ?end ?sentence ?surface WHERE {
  ?m a kg:Mention ; kg:refersTo ?e ; kg:rule ?rule ; kg:inDocument ?d ;
     kg:startOffset ?start ; kg:endOffset ?end ; kg:surfaceForm ?surface ; kg:inSentence ?s .
  ?s kg:text ?sentence .
  ?d dcterms:identifier ?doc .
} ORDER BY ?doc ?start
"""

RELATION_EVIDENCE_QUERY = """
SELECT ?p ?other ?dir ?rule ?doc ?start ?end ?sentence WHERE {
  { ?a rdf:subject ?e ; rdf:predicate ?p ; rdf:object ?o . ?o skos:prefLabel ?other . BIND("->" AS ?dir) }
  UNION
  { ?a rdf:object ?e ; rdf:predicate ?p ; rdf:subject ?o . ?o skos:prefLabel ?other . BIND("<-" AS ?dir) }
  ?a kg:rule ?rule ; kg:inDocument ?d ; kg:startOffset ?start ; kg:endOffset ?end ; kg:inSentence ?s .
  ?s kg:text ?sentence . ?d dcterms:identifier ?doc .
} ORDER BY ?dir ?p ?other ?doc ?start
"""


def find_entities(graph: Graph, label: str) -> list[URIRef]:
    """Entities whose preferred or alternative label is ``label``."""
    lit = Literal(label, lang="zh")
    found = set(graph.subjects(SKOS.prefLabel, lit)) | set(graph.subjects(SKOS.altLabel, lit))
    return sorted(e for e in found if isinstance(e, URIRef))


def explain(graph: Graph, label: str) -> list[str]:
    """Lines that show where an entity and its relations come from: sentence, offsets, rule."""
    lines: list[str] = []
    for e in find_entities(graph, label):
        cls = graph.value(e, KG.confidence)
        types = sorted(str(t).split("#")[-1] for t in graph.objects(e, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")))
        lines.append(f"{graph.value(e, SKOS.prefLabel)}  [{', '.join(types)}]  confidence {cls}  <{e}>")
        alt = sorted(str(a) for a in graph.objects(e, SKOS.altLabel))
        if alt:
            lines.append(f"  aliases: {', '.join(alt)}")
        lines.append("  mentions:")
        for r in run(graph, EVIDENCE_QUERY, {"e": e}):
            rule, doc, start, end, sentence, surface = r  # type: ignore[misc]
            lines.append(f"    {doc} [{start},{end}) “{surface}” by {rule}: {sentence}")
        rels = list(run(graph, RELATION_EVIDENCE_QUERY, {"e": e}))
        if rels:
            lines.append("  relations:")
        for r in rels:
            p, other, direction, rule, doc, start, end, sentence = r  # type: ignore[misc]
            lines.append(f"    {direction} {str(p).split('#')[-1]} {other}  ({doc} [{start},{end}) by {rule}): {sentence}")
    return lines
