"""Scoring a graph against gold annotations, exactly as the guideline's Scoring section says.

The figures equal those of the reference scorer (``shared/eval/score.py``); on top of them this
module reports per-type figures and lists each miss and false positive with the rules behind it.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import RDF, RDFS, Graph
from rdflib.namespace import SKOS

from kg.vocab import KG, RELATIONS

SCORED = ("Organization", "Person", "Programme", "Principle", "Goal", "Policy")
ALL_TYPES = (*SCORED, "Event", "TargetGroup", "Role", "Place")


def local(iri: object) -> str:
    return re.split(r"[#/:]", str(iri))[-1]


def norm(s: object) -> str:
    return re.sub(r"[\s“”‘’\"'「」『』《》〈〉]", "", str(s))


def _f1(p: float, r: float) -> float:
    return round(2 * p * r / (p + r), 3) if p + r else 0.0


@dataclass
class Report:
    """Overall figures (the reference scorer's keys) plus per-type figures and error lists."""

    figures: dict[str, object]
    per_type: dict[str, dict[str, float]] = field(default_factory=dict)
    false_entities: list[tuple[str, str, str]] = field(default_factory=list)  # (type, label, rules)
    missed_entities: list[tuple[str, str]] = field(default_factory=list)
    false_relations: list[tuple[str, str, str, str]] = field(default_factory=list)  # (s, p, o, rules)
    missed_relations: list[tuple[str, str, str]] = field(default_factory=list)
    by_rule: dict[str, dict[str, int]] = field(default_factory=dict)  # rule id -> {"tp": n, "fp": n}


def _nodes(g: Graph) -> dict[object, dict[str, set[str]]]:
    nodes: dict[object, dict[str, set[str]]] = {}
    for s, t in g.subject_objects(RDF.type):
        if local(t) in ALL_TYPES:
            labels = {norm(lit) for p in (SKOS.prefLabel, SKOS.altLabel, RDFS.label) for lit in g.objects(s, p)}
            nodes.setdefault(s, {"types": set(), "labels": labels})["types"].add(local(t))
    return nodes


def _rules_of(g: Graph, node: object) -> str:
    rules = {str(r) for m in g.subjects(KG.refersTo, node) for r in g.objects(m, KG.rule)}  # type: ignore[arg-type]
    return ",".join(sorted(rules))


def _relation_rules(g: Graph, s: object, p: str, o: object) -> str:
    rules = set()
    for a in g.subjects(RDF.subject, s):  # type: ignore[arg-type]
        if (a, RDF.object, o) in g and local(g.value(a, RDF.predicate)) == p:  # type: ignore[operator]
            rules |= {str(r) for r in g.objects(a, KG.rule)}
    return ",".join(sorted(rules))


def score(g: Graph, gold_files: list[Path]) -> Report:
    """Score graph ``g`` against the gold JSON files."""
    nodes = _nodes(g)
    rels = {(s, local(p), o) for s, p, o in g if local(p) in RELATIONS and s in nodes and o in nodes}
    gold = [json.loads(Path(f).read_text("utf-8")) for f in gold_files]
    ents = [e for d in gold for e in d["entities"]]
    forms: dict[str, list[int]] = {}
    for i, e in enumerate(ents):
        for f in {norm(x) for x in [e["label"], *e.get("aliases", [])]}:
            forms.setdefault(f, []).append(i)
    match = {n: {i for lab in v["labels"] for i in forms.get(lab, []) if ents[i]["type"] in v["types"]} for n, v in nodes.items()}
    req = {i for i, e in enumerate(ents) if e["type"] in SCORED and not e.get("optional")}
    pred_nodes = [n for n, v in nodes.items() if v["types"] & set(SCORED)]
    tp = sum(1 for n in pred_nodes if match[n] & req)
    only_optional = sum(1 for n in pred_nodes if match[n] and not match[n] & req)
    found = {i for n in pred_nodes for i in match[n]} & req
    ep = tp / (len(pred_nodes) - only_optional) if len(pred_nodes) > only_optional else 0.0
    er = len(found) / len(req) if req else 0.0
    gold_rels = {(s, p, o) for d in gold for s, p, o in d["relations"]}

    def lab(n: object) -> set[str]:
        return {ents[i]["label"] for i in match.get(n, ())}

    tp_r, covered = 0, set()
    report = Report(figures={})
    for s, p, o in sorted(rels):
        hits = {(a, p, b) for a in lab(s) for b in lab(o)} & gold_rels
        tp_r += bool(hits)
        covered |= hits
        if not hits:
            report.false_relations.append((_name(g, s), p, _name(g, o), _relation_rules(g, s, p, o)))
    rp = tp_r / len(rels) if rels else 0.0
    rr = len(covered) / len(gold_rels) if gold_rels else 0.0
    missed = sorted({ents[i]["label"] for i in req - found})
    report.figures = {
        "entity_p": round(ep, 3), "entity_r": round(er, 3), "entity_f1": _f1(ep, er),
        "rel_p": round(rp, 3), "rel_r": round(rr, 3), "rel_f1": _f1(rp, rr),
        "pred_nodes": len(pred_nodes), "gold_entities": len(req), "pred_rels": len(rels),
        "gold_rels": len(gold_rels), "missed_sample": missed[:15],
    }  # fmt: skip
    report.per_type = _per_type(nodes, match, ents, req, pred_nodes)
    report.false_entities = sorted(
        (sorted(nodes[n]["types"] & set(SCORED))[0], _name(g, n), _rules_of(g, n)) for n in pred_nodes if not match[n]
    )
    report.missed_entities = sorted((ents[i]["type"], ents[i]["label"]) for i in req - found)
    report.missed_relations = sorted(gold_rels - covered)
    report.by_rule = _by_rule(g, pred_nodes, match, rels, lab, gold_rels)
    return report


def _by_rule(g: Graph, pred_nodes: list, match: dict, rels: set, lab: Any, gold_rels: set) -> dict[str, dict[str, int]]:
    """For each rule: how many of the nodes or relations it found are right (``tp``) and wrong (``fp``).

    A node counts for every rule that found one of its mentions, so a rule is judged by what it adds.
    """
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fp": 0})
    for n in pred_nodes:
        for r in _rules_of(g, n).split(","):
            if r:
                out[r]["tp" if match[n] else "fp"] += 1
    for s, p, o in rels:
        right = bool({(a, p, b) for a in lab(s) for b in lab(o)} & gold_rels)
        for r in _relation_rules(g, s, p, o).split(","):
            if r:
                out[r]["tp" if right else "fp"] += 1
    return dict(sorted(out.items()))


def _per_type(nodes: dict, match: dict, ents: list, req: set[int], pred_nodes: list) -> dict[str, dict[str, float]]:
    out = {}
    by_type: dict[str, list[object]] = defaultdict(list)
    for n in pred_nodes:
        for t in nodes[n]["types"] & set(SCORED):
            by_type[t].append(n)
    for t in SCORED:
        preds = by_type.get(t, [])
        req_t = {i for i in req if ents[i]["type"] == t}
        tp = sum(1 for n in preds if match[n] & req_t)
        opt = sum(1 for n in preds if match[n] and not match[n] & req)
        found = {i for n in preds for i in match[n]} & req_t
        p = tp / (len(preds) - opt) if len(preds) > opt else 0.0
        r = len(found) / len(req_t) if req_t else 0.0
        out[t] = {"p": round(p, 3), "r": round(r, 3), "f1": _f1(p, r), "pred": len(preds), "gold": len(req_t)}
    return out


def _name(g: Graph, node: object) -> str:
    label = g.value(node, SKOS.prefLabel)  # type: ignore[call-overload]
    return str(label) if label is not None else str(node)


def load_graph(path: Path) -> Graph:
    """A graph file (ttl, nt, jsonld) or the folder ``kg build`` wrote."""
    if path.is_dir():
        for name in ("graph.ttl", "graph.nt", "graph.jsonld"):
            if (path / name).is_file():
                path = path / name
                break
        else:
            raise FileNotFoundError(f"{path}: no graph.ttl, graph.nt or graph.jsonld in this folder")
    fmt = {".nt": "nt", ".jsonld": "json-ld", ".json": "json-ld"}.get(path.suffix, "turtle")
    return Graph().parse(path, format=fmt)


__all__ = ["Report", "load_graph", "score"]
