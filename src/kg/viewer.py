"""The HTML viewer: one self-contained, offline page that draws a kg graph with its evidence.

``render(graph)`` returns the page. pyvis supplies the network object and the vis-network
script and stylesheet (read from inside the installed pyvis package and inlined); the page
template, script and style are kg's own (``kg/viewer_assets/``), because pyvis's template links
Bootstrap from a CDN and renders tooltips containing ``href`` as raw HTML.

Safety: every text from the graph travels as JSON inside ``<script type="application/json">``
with ``<``, ``>`` and ``&`` escaped, and the page script writes it with ``textContent`` only.
A Content-Security-Policy admits only the page's own scripts (by hash) and no network access.

Determinism: everything is sorted and the layout has no randomness, so the same graph gives
the same bytes.

>>> from rdflib import Graph
>>> render(Graph()).startswith("<!DOCTYPE html>")
True
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS
from rdflib.term import Node

from kg.resources import ENTITY_CLASSES
from kg.vocab import KG, NS, RELATIONS, ontology, term

__all__ = ["render"]

PHYSICS_LIMIT = 300  # above this many nodes the layout is computed here and physics stays off
WRAP = 8  # characters per line of a node label

Ranges = list[tuple[int, int]]  # highlighted [start, end) spans in UTF-16 units of a sentence
EdgeKey = tuple[URIRef, str, URIRef]  # subject, relation local name, object
# provenance terms read once per node: looked up here once (a DefinedNamespace lookup is slow)
_REFERSTO, _INSENTENCE, _INDOCUMENT, _TEXT = KG.refersTo, KG.inSentence, KG.inDocument, KG.text
_STARTOFFSET, _ENDOFFSET, _SURFACEFORM = KG.startOffset, KG.endOffset, KG.surfaceForm
# every predicate the page is made from (kg:confidence, kg:rule and dcterms:source are not among them):
# a build reads only these to draw its page (``rdf.by_predicate(triples, READS)``)
READS = frozenset(
    str(p)
    for p in (
        RDF.type, RDF.subject, RDF.predicate, RDF.object, DCTERMS.title, DCTERMS.date, DCTERMS.identifier,
        SKOS.prefLabel, SKOS.altLabel, PROV.wasDerivedFrom, _REFERSTO, _INSENTENCE, _INDOCUMENT, _TEXT,
        _STARTOFFSET, _ENDOFFSET, _SURFACEFORM, *(term(p) for p in RELATIONS),
    )
)  # fmt: skip


@dataclass
class _Entity:
    iri: URIRef
    cls: str
    label: str
    aliases: list[str]
    docs: set[int]
    evidence: dict[int, Ranges] = field(default_factory=dict)


@dataclass
class _Model:
    """What the page shows, read from the graph; sentences and documents are indexed."""

    docs: list[dict[str, str]]
    sentences: list[tuple[int, str]]  # (document index or -1, text)
    entities: dict[URIRef, _Entity]
    edges: dict[EdgeKey, dict[int, Ranges]]  # -> evidence


def render(
    graph: Graph | Mapping[Node, Sequence[tuple[Node, Node]]],
    *,
    title: str | None = None,
    top: int | None = None,
    focus: str | None = None,
    depth: int = 1,
) -> str:
    """The graph as one self-contained, offline HTML page.

    Args:
        graph: a kg graph (entities, relations and their provenance, see docs/DESIGN.md), or the
            (subject, object) pairs of each predicate in :data:`READS` of one
            (``rdf.by_predicate(triples, READS)``), which is much faster to make than a graph.
        title: the page heading; by default the title of its only document, else a generic one.
        top: draw only the ``top`` entities with the most relations.
        focus: draw only the neighbourhood of the entity with this label (or alias).
        depth: how many relations away from ``focus`` to go.

    Returns:
        The HTML page.

    Raises:
        ValueError: if no entity has the label ``focus``, or ``top``/``depth`` is negative.
    """
    if (top is not None and top < 0) or depth < 0:
        raise ValueError("top and depth must not be negative")
    if isinstance(graph, Graph):
        model = _read(graph.subject_objects)
    else:
        model = _read(lambda p: graph.get(p, ()))
    keep = set(model.entities)
    if focus is not None:
        keep = _neighbourhood(model, focus, depth)
    if top is not None:
        keep = _most_connected(model, keep, top)
    payload = _payload(model, keep)
    payload["meta"].update(entityCount=len(model.entities), depth=depth, focusLabel=focus or "")
    if title is None:
        title = model.docs[0]["title"] if len(model.docs) == 1 else "kg 知识图谱"
    return _page(payload, title or "kg 知识图谱", depth)


# --------------------------------------------------------------------------- reading the graph


Pairs = Callable[[URIRef], Iterable[tuple[Node, Node]]]  # a predicate's (subject, object) pairs


def _read(pairs: Pairs) -> _Model:
    """What the page shows, read from the graph's pairs; in no order the source sets."""
    v = _Values(pairs)
    typed: dict[Node, list[Node]] = defaultdict(list)
    for x, kind in pairs(RDF.type):
        typed[kind].append(x)
    doc_iris = sorted(d for d in set(typed[KG.Document]) if isinstance(d, URIRef))
    doc_index = {d: i for i, d in enumerate(doc_iris)}
    docs = [{"title": v.text(d, DCTERMS.title) or _tail(d), "date": v.text(d, DCTERMS.date),
             "id": v.text(d, DCTERMS.identifier)} for d in doc_iris]  # fmt: skip
    aliases, found_in = defaultdict(set), defaultdict(set)
    for x, alias in pairs(SKOS.altLabel):
        aliases[x].add(str(alias))
    for x, d in pairs(PROV.wasDerivedFrom):
        if d in doc_index:
            found_in[x].add(doc_index[d])  # type: ignore[index]
    entities: dict[URIRef, _Entity] = {}
    for cls in ENTITY_CLASSES:  # an entity typed twice keeps the first class in this order
        for iri in sorted(x for x in set(typed[term(cls)]) if isinstance(x, URIRef) and x not in entities):
            label = v.text(iri, SKOS.prefLabel) or _tail(iri)
            entities[iri] = _Entity(iri, cls, label, sorted(aliases[iri] - {label}), set(found_in[iri]))
    edges: dict[EdgeKey, dict[int, Ranges]] = {}
    for prop in RELATIONS:
        for subj, obj in sorted(pairs(term(prop)), key=lambda so: (str(so[0]), str(so[1]))):
            if isinstance(subj, URIRef) and isinstance(obj, URIRef) and subj in entities and obj in entities:
                edges[(subj, prop, obj)] = {}
    # the mentions and assertions that cite a sentence: (entity or relation, node, sentence)
    cites: list[tuple[URIRef | EdgeKey, Node, URIRef]] = []
    for m in sorted(typed[KG.Mention], key=str):
        ent, sent = v.iri(m, _REFERSTO), v.iri(m, _INSENTENCE)
        if ent is not None and ent in entities and sent is not None:
            cites.append((ent, m, sent))
    for a in sorted(typed[KG.Assertion], key=str):
        s, p, o, sent = (v.iri(a, q) for q in (RDF.subject, RDF.predicate, RDF.object, _INSENTENCE))
        prop = str(p).removeprefix(NS)
        if s is not None and o is not None and sent is not None and s in entities and o in entities and prop in RELATIONS:
            cites.append(((s, prop, o), a, sent))
    info = {sent: (doc_index.get(v.iri(sent, _INDOCUMENT) or sent, -1), v.int(sent, _STARTOFFSET),
                   v.text(sent, _TEXT)) for sent in {c[2] for c in cites}}  # fmt: skip
    order = sorted(info, key=lambda sent: (info[sent][0], info[sent][1] or 0, str(sent)))
    index = {sent: i for i, sent in enumerate(order)}
    for key, node, sent in cites:
        doc, base, text = info[sent]
        if isinstance(key, URIRef):
            entities[key].docs.add(doc)
            evidence = entities[key].evidence
        else:
            evidence = edges.setdefault(key, {})
        spans = evidence.setdefault(index[sent], [])
        span = _span(v, node, base, text)
        if span and span not in spans:
            spans.append(span)
    return _Model(docs, [(info[sent][0], info[sent][2]) for sent in order], entities, edges)


class _Values:
    """One value per subject of each property, read in bulk (a lookup per node is slow in rdflib).
    Of several values, a Chinese or untagged one wins, then the smallest."""

    def __init__(self, pairs: Pairs) -> None:
        self.pairs, self.cache = pairs, dict[URIRef, dict[Node, Node]]()

    def of(self, p: URIRef) -> dict[Node, Node]:
        if p not in self.cache:
            best: dict[Node, Node] = {}
            for s, o in self.pairs(p):
                if s not in best or _rank(o) < _rank(best[s]):
                    best[s] = o
            self.cache[p] = best
        return self.cache[p]

    def text(self, s: Node, p: URIRef) -> str:
        value = self.of(p).get(s)
        return str(value) if isinstance(value, Literal) else ""

    def iri(self, s: Node, p: URIRef) -> URIRef | None:
        value = self.of(p).get(s)
        return value if isinstance(value, URIRef) else None

    def int(self, s: Node, p: URIRef) -> int | None:
        try:
            value = self.of(p).get(s)
            return int(value) if isinstance(value, Literal) else None
        except (TypeError, ValueError):
            return None


def _rank(o: Node) -> tuple[bool, str]:
    return getattr(o, "language", None) not in (None, "zh"), str(o)


def _tail(iri: URIRef) -> str:
    return unquote(str(iri).rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1])


def _span(v: _Values, x: Node, base: int | None, text: str) -> tuple[int, int] | None:
    """Where ``x`` (a mention or assertion) lies in its sentence (which starts at ``base``), in UTF-16 units."""
    start, end = v.int(x, _STARTOFFSET), v.int(x, _ENDOFFSET)
    if start is not None and end is not None and base is not None and 0 <= start - base < end - base <= len(text):
        a, b = start - base, end - base
    else:  # no offsets, or offsets outside the sentence: look for the surface form
        surface = v.text(x, _SURFACEFORM)
        a = text.find(surface) if surface else -1
        if a < 0:
            return None
        b = a + len(surface)
    return _utf16(text[:a]), _utf16(text[:b])


def _utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------- what to draw


def _adjacency(model: _Model, keep: set[URIRef]) -> dict[URIRef, list[URIRef]]:
    adj: dict[URIRef, list[URIRef]] = {e: [] for e in keep}
    for s, _, o in model.edges:
        if s in keep and o in keep:
            adj[s].append(o)
            adj[o].append(s)
    return adj


def _neighbourhood(model: _Model, label: str, depth: int) -> set[URIRef]:
    ents = model.entities.values()
    seeds = [e.iri for e in ents if e.label == label] or [e.iri for e in ents if label in e.aliases]
    if not seeds:
        near = sorted({e.label for e in ents if label in e.label or any(label in a for a in e.aliases)})
        hint = f"; did you mean {', '.join(near[:5])}?" if near else ""
        raise ValueError(f"no entity labelled {label!r}{hint}")
    adj = _adjacency(model, set(model.entities))
    dist = dict.fromkeys(seeds, 0)
    queue = deque(seeds)
    while queue:
        v = queue.popleft()
        if dist[v] < depth:
            for w in adj[v]:
                if w not in dist:
                    dist[w] = dist[v] + 1
                    queue.append(w)
    return set(dist)


def _most_connected(model: _Model, keep: set[URIRef], n: int) -> set[URIRef]:
    adj = _adjacency(model, keep)
    ranked = sorted(keep, key=lambda e: (-len(adj[e]), model.entities[e].label, str(e)))
    return set(ranked[:n])


def _payload(model: _Model, keep: set[URIRef]) -> dict[str, Any]:
    """The page's data: vis-network nodes, edges and options, and what the panels show."""
    labels, style = _labels(), _style()
    ents = sorted(keep, key=str)
    ids = {e: i for i, e in enumerate(ents)}
    keys = sorted((k for k in model.edges if k[0] in ids and k[2] in ids), key=lambda k: (ids[k[0]], RELATIONS.index(k[1]), k[2]))
    pairs = [(ids[s], ids[o]) for s, _, o in keys]
    degree = [0] * len(ents)
    for a, b in pairs:
        degree[a] += 1
        degree[b] += 1
    pos = _layout(len(ents), pairs)
    nodes, entities = [], []
    for i, iri in enumerate(ents):
        e = model.entities[iri]
        cls = style["classes"][e.cls]
        nodes.append({"id": i, "label": _wrap(e.label), "shape": cls["shape"], "color": cls["color"],
                      "value": degree[i] + 1, "x": pos[i][0], "y": pos[i][1]})  # fmt: skip
        entities.append({"iri": str(iri), "label": e.label, "aliases": e.aliases, "c": ENTITY_CLASSES.index(e.cls),
                         "d": sorted(e.docs - {-1}), "ev": _evidence(e.evidence)})  # fmt: skip
    edges, parallel = [], defaultdict[tuple[int, int], int](int)
    for j, ((s, p, o), (a, b)) in enumerate(zip(keys, pairs, strict=True)):
        colour, ev = style["relations"][p], model.edges[(s, p, o)]
        edge: dict[str, Any] = {"id": j, "from": a, "to": b, "p": RELATIONS.index(p), "label": " ".join(labels[p]),
                                "color": {"color": colour, "highlight": colour, "opacity": 0.85},
                                "arrows": "" if p == "cooperatesWith" else "to", "ev": _evidence(ev),
                                "d": sorted({model.sentences[i][0] for i in ev} - {-1})}  # fmt: skip
        pair = (min(a, b), max(a, b))
        if parallel[pair]:  # bend the second and later edges between two nodes apart
            edge["smooth"] = {"enabled": True, "type": "curvedCW", "roundness": 0.18 * parallel[pair]}
        parallel[pair] += 1
        edges.append(edge)
    physics = len(ents) <= PHYSICS_LIMIT
    return {
        "meta": {"physics": physics},
        "classes": [{"key": c, "zh": labels[c][0], "en": labels[c][1], **style["classes"][c]} for c in ENTITY_CLASSES],
        "properties": [{"key": p, "zh": labels[p][0], "en": labels[p][1], "color": style["relations"][p]} for p in RELATIONS],
        "docs": model.docs,
        "sentences": [list(s) for s in model.sentences],
        "entities": entities,
        **_network(nodes, edges, _options(style["options"], physics)),
    }


def _evidence(ev: dict[int, Ranges]) -> list[list[Any]]:
    return [[i, sorted(ev[i])] for i in sorted(ev)]


def _wrap(label: str, width: int = WRAP) -> str:
    """Break a long label into lines of about ``width`` CJK characters (ASCII counts half)."""
    lines, line, used = [], "", 0.0
    for ch in label:
        w = 0.5 if ch.isascii() else 1.0
        if used + w > width and line:
            lines.append(line)
            line, used = "", 0.0
        line, used = line + ch, used + w
    return "\n".join([*lines, line]) if len(lines) < 3 else "\n".join([*lines[:2], lines[2][:-1] + "…"])


def _labels() -> dict[str, tuple[str, str]]:
    """Chinese and English labels of the entity classes and relations, from the ontology."""
    g, out = ontology(), {}
    for local in (*ENTITY_CLASSES, *RELATIONS):
        by_lang = {o.language: str(o) for o in g.objects(term(local), RDFS.label) if isinstance(o, Literal)}
        out[local] = (by_lang.get("zh", local), by_lang.get("en", local))
    return out


# --------------------------------------------------------------------------- layout and network


def _layout(n: int, pairs: Iterable[tuple[int, int]], step: float = 160.0, gap: float = 110.0) -> list[list[float]]:
    """Positions for ``n`` nodes: each connected component in rings around its best-connected
    node (breadth-first, so neighbours sit close), components packed in rows, largest first.
    Linear time and deterministic."""
    adj: list[set[int]] = [set() for _ in range(n)]
    for a, b in pairs:
        if a != b:
            adj[a].add(b)
            adj[b].add(a)
    seen = [False] * n
    comps: list[tuple[float, list[tuple[int, float, float]]]] = []
    for root in sorted(range(n), key=lambda v: (-len(adj[v]), v)):
        if seen[root]:
            continue
        seen[root] = True
        layers, frontier = [[root]], [root]
        while frontier:
            nxt = []
            for v in frontier:
                for w in sorted(adj[v], key=lambda w: (-len(adj[w]), w)):
                    if not seen[w]:
                        seen[w] = True
                        nxt.append(w)
            if nxt:
                layers.append(nxt)
            frontier = nxt
        placed, radius = [(root, 0.0, 0.0)], 0.0
        for layer in layers[1:]:
            radius = max(radius + step, len(layer) * gap / (2 * math.pi))
            for k, v in enumerate(layer):
                angle = 2 * math.pi * (k + 0.5) / len(layer)
                placed.append((v, radius * math.cos(angle), radius * math.sin(angle)))
        comps.append((radius + gap, placed))
    pos = [[0.0, 0.0] for _ in range(n)]
    width = max([2 * r for r, _ in comps] + [math.sqrt(sum((2 * r) ** 2 for r, _ in comps))])
    x = y = row = 0.0
    for r, placed in comps:  # largest first: shelf packing in rows
        if x and x + 2 * r > width:
            x, y, row = 0.0, y + row, 0.0
        for v, px, py in placed:
            pos[v] = [round(x + r + px, 1), round(y + r + py, 1)]
        x, row = x + 2 * r, max(row, 2 * r)
    return pos


def _options(options: dict[str, Any], physics: bool) -> dict[str, Any]:
    """vis-network options: bounded stabilisation for small graphs; no physics (and edges hidden
    while dragging or zooming) for large ones, whose layout comes from ``_layout``."""
    options = json.loads(json.dumps(options))
    options["physics"]["enabled"] = options["edges"]["smooth"]["enabled"] = physics
    options["interaction"]["hideEdgesOnDrag"] = options["interaction"]["hideEdgesOnZoom"] = not physics
    return options


def _network(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], options: dict[str, Any]) -> dict[str, Any]:
    """The nodes, edges and options as pyvis hands them to vis-network."""
    from pyvis.network import Network

    net = Network(directed=True, cdn_resources="in_line")
    # Network.add_node/add_edge test membership in lists (quadratic): fill its lists directly.
    net.nodes, net.edges, net.node_ids = nodes, edges, [n["id"] for n in nodes]
    net.node_map = {n["id"]: n for n in nodes}
    net.options = options
    nodes, edges, _heading, _height, _width, options_json = net.get_network_data()
    return {"nodes": nodes, "edges": edges, "options": json.loads(options_json)}


# --------------------------------------------------------------------------- the page


def _asset(name: str) -> str:
    return resources.files("kg").joinpath("viewer_assets", name).read_text("utf-8")


@cache
def _style() -> dict[str, Any]:
    style: dict[str, Any] = json.loads(_asset("style.json"))
    return style


def _vis(name: str) -> str:
    import pyvis

    return (Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2" / name).read_text("utf-8")


def _json(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` left."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for ch in "<>&\u2028\u2029":
        text = text.replace(ch, f"\\u{ord(ch):04x}")
    return text


def _page(payload: dict[str, Any], title: str, depth: int) -> str:
    from jinja2 import Environment
    from markupsafe import Markup

    scripts = [_vis("vis-network.min.js"), _asset("viewer.js")]
    styles = [_vis("vis-network.css"), _asset("viewer.css")]
    for code in scripts + styles:
        if "</script" in code.lower() or "</style" in code.lower() or "<!--" in code:
            raise ValueError("an inlined script or style would end its element early")
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts)
    csp = f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"
    template = Environment(autoescape=True, keep_trailing_newline=True).from_string(_asset("page.html"))
    return template.render(
        title=title, csp=csp, depth=depth, data=Markup(_json(payload)),
        scripts=[Markup(s) for s in scripts], styles=[Markup(s) for s in styles],
    )  # fmt: skip
