"""Graph analytics with networkx: centrality, paths with their evidence, neighbourhoods, communities.

``to_networkx`` keeps the entities and the ten kg relations only (no document, sentence, mention or
assertion nodes): a ``MultiDiGraph`` whose nodes are entity IRIs with ``label`` and ``type``, and
whose edges are keyed by the relation's local name. Every function returns plain dicts and lists,
ready for a table or for JSON.
"""

from __future__ import annotations

import itertools
from typing import Any

import networkx as nx
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from kg.vocab import KG, NS, RELATIONS, term

ENTITY_TYPES = {term(c) for c in ("Organization", "Person", "Programme", "Principle", "Policy", "Goal", "Event", "TargetGroup",
                                  "Role", "Place")}  # fmt: skip


def to_networkx(graph: Graph) -> nx.MultiDiGraph:
    """The entities of a kg graph and the kg relations between them, in a stable order."""
    g = nx.MultiDiGraph()
    for e, t in sorted((e, t) for e, t in graph.subject_objects(RDF.type) if t in ENTITY_TYPES and isinstance(e, URIRef)):
        g.add_node(str(e), label=str(graph.value(e, SKOS.prefLabel) or e), type=str(t).removeprefix(NS))
    for prop in RELATIONS:
        for s, o in sorted(graph.subject_objects(term(prop))):
            if str(s) in g and str(o) in g:
                g.add_edge(str(s), str(o), key=prop, property=prop)
    return g


def find(g: nx.MultiDiGraph, graph: Graph, label: str) -> list[str]:
    """The nodes labelled (preferred or alternative label) ``label``."""
    lit = Literal(label, lang="zh")
    found = {str(e) for p in (SKOS.prefLabel, SKOS.altLabel) for e in graph.subjects(p, lit)}
    return sorted(n for n in found if n in g)


def _node(g: nx.MultiDiGraph, n: str) -> dict[str, Any]:
    return {"label": g.nodes[n]["label"], "type": g.nodes[n]["type"], "iri": n}


def centrality(g: nx.MultiDiGraph, *, measure: str = "degree", top: int = 20, type: str | None = None) -> list[dict[str, Any]]:
    """Entities ranked by degree centrality or PageRank on the undirected graph of relations.

    Ties are broken by label. Each row has rank, label, type, score, degree (relations, either way) and iri.
    """
    simple = nx.Graph(g.to_undirected())
    if measure == "degree":
        scores = nx.degree_centrality(simple)
    elif measure == "pagerank":
        scores = nx.pagerank(simple) if simple.number_of_edges() else {n: 1 / max(len(simple), 1) for n in simple}
    else:
        raise ValueError(f"unknown centrality measure {measure!r} (degree or pagerank)")
    nodes = [n for n in g if type is None or g.nodes[n]["type"] == type]
    nodes.sort(key=lambda n: (-scores[n], g.nodes[n]["label"], n))
    top_nodes = enumerate(nodes[:top])
    return [{"rank": i + 1, **_node(g, n), "score": round(scores[n], 6), "degree": g.degree(n)} for i, n in top_nodes]


def evidence(graph: Graph, s: str, prop: str, o: str) -> list[dict[str, Any]]:
    """Where ``s prop o`` is stated: document, sentence, offsets and rule, by document and offset."""
    out = []
    for a in graph.subjects(RDF.subject, URIRef(s)):
        if (a, RDF.predicate, term(prop)) in graph and (a, RDF.object, URIRef(o)) in graph:
            doc, sentence = graph.value(a, KG.inDocument), graph.value(a, KG.inSentence)
            start, end = graph.value(a, KG.startOffset), graph.value(a, KG.endOffset)
            out.append({"doc": str(graph.value(doc, DCTERMS.identifier) or doc),
                        "sentence": str(graph.value(sentence, KG.text) or ""),
                        "start": int(str(start or 0)), "end": int(str(end or 0)),
                        "rule": str(graph.value(a, KG.rule) or "")})  # fmt: skip
    return sorted(out, key=lambda x: (x["doc"], x["start"], x["rule"]))


def shortest_path(g: nx.MultiDiGraph, graph: Graph, source: str, target: str) -> list[dict[str, Any]]:
    """The shortest chain of relations between two labelled entities, either direction, with each hop's evidence.

    Each hop: ``from``, ``property``, ``to`` (as stated: ``from property to``), ``direction`` (``->``
    when the path walks the relation forwards) and ``evidence`` (see ``evidence``). An empty list
    when the two are not connected; ValueError when a label names no entity. Among equally short
    paths the one through the least connected entities wins: a hub such as the author body
    connects everything and explains little.
    """
    sources, targets = find(g, graph, source), find(g, graph, target)
    for label, found in ((source, sources), (target, targets)):
        if not found:
            raise ValueError(f"no entity labelled {label!r} in the graph")
    undirected = g.to_undirected(as_view=True)
    best: list[str] | None = None
    for s in sources:
        lengths = nx.single_source_shortest_path_length(undirected, s)
        for t in targets:
            if t not in lengths or (best is not None and lengths[t] > len(best) - 1):
                continue
            for path in itertools.islice(nx.all_shortest_paths(undirected, s, t), 2000):
                if best is None or _path_cost(g, path) < _path_cost(g, best):
                    best = path
    if best is None:
        return []
    hops = []
    for a, b in zip(best, best[1:], strict=False):
        forward, backward = sorted(g.get_edge_data(a, b, default={})), sorted(g.get_edge_data(b, a, default={}))
        s, prop, o, direction = (a, forward[0], b, "->") if forward else (b, backward[0], a, "<-")
        hops.append({"from": g.nodes[s]["label"], "property": prop, "to": g.nodes[o]["label"], "direction": direction,
                     "evidence": evidence(graph, s, prop, o)})  # fmt: skip
    return hops


def _path_cost(g: nx.MultiDiGraph, path: list[str]) -> tuple[int, int, list[str]]:
    return len(path), sum(g.degree(n) for n in path[1:-1]), [g.nodes[n]["label"] for n in path]


def neighbourhood(g: nx.MultiDiGraph, graph: Graph, label: str, *, depth: int = 1) -> dict[str, Any]:
    """The entities within ``depth`` relations of a labelled entity, and the relations among them."""
    centres = find(g, graph, label)
    if not centres:
        raise ValueError(f"no entity labelled {label!r} in the graph")
    undirected = g.to_undirected(as_view=True)
    dist: dict[str, int] = {}
    for c in centres:
        for n, d in nx.single_source_shortest_path_length(undirected, c, cutoff=depth).items():
            dist[n] = min(d, dist.get(n, d))
    nodes = sorted(dist, key=lambda n: (dist[n], g.nodes[n]["type"], g.nodes[n]["label"]))
    edges = sorted({(g.nodes[s]["label"], k, g.nodes[o]["label"]) for s, o, k in g.subgraph(nodes).edges(keys=True)})
    return {"centre": [_node(g, c) for c in centres], "depth": depth,
            "nodes": [{**_node(g, n), "distance": dist[n]} for n in nodes],
            "edges": [{"from": s, "property": p, "to": o} for s, p, o in edges]}  # fmt: skip


def communities(g: nx.MultiDiGraph, *, seed: int = 42, resolution: float = 1.0, min_size: int = 2) -> list[dict[str, Any]]:
    """Louvain communities of the undirected relation graph (fixed ``seed``: the same graph gives the same answer).

    Communities are listed largest first; members by degree, then label.
    """
    simple = nx.Graph(g.to_undirected())
    found = nx.community.louvain_communities(simple, seed=seed, resolution=resolution) if simple.number_of_edges() else []
    ranked = [sorted(m, key=lambda n: (-g.degree(n), g.nodes[n]["label"], n)) for m in found if len(m) >= min_size]
    ranked.sort(key=lambda m: (-len(m), g.nodes[m[0]]["label"]))
    return [{"community": i + 1, "size": len(m), "members": [_node(g, n) for n in m]} for i, m in enumerate(ranked)]


def document_entities(graph: Graph, doc_id: str) -> dict[str, str]:
    """IRI -> label of the entities derived from the document with this identifier."""
    docs = list(graph.subjects(DCTERMS.identifier, Literal(doc_id)))
    if not docs:
        raise ValueError(f"no document {doc_id!r} in the graph")
    return {str(e): str(graph.value(e, SKOS.prefLabel) or e) for d in docs for e in graph.subjects(PROV.wasDerivedFrom, d)}


def compare_documents(g: nx.MultiDiGraph, graph: Graph, doc_a: str, doc_b: str) -> dict[str, Any]:
    """The entities two documents share and those only one of them has, and the relations both state."""
    a, b = document_entities(graph, doc_a), document_entities(graph, doc_b)

    def rows(iris: set[str]) -> list[dict[str, Any]]:
        return sorted((_node(g, n) for n in iris if n in g), key=lambda r: (r["type"], r["label"]))

    def relations(doc_id: str) -> set[tuple[str, str, str]]:
        doc = next(iter(graph.subjects(DCTERMS.identifier, Literal(doc_id))))
        out = set()
        for x in graph.subjects(KG.inDocument, doc):
            p = graph.value(x, RDF.predicate)
            if p is not None and str(p).removeprefix(NS) in RELATIONS:
                s, o = graph.value(x, RDF.subject), graph.value(x, RDF.object)
                out.add((str(graph.value(s, SKOS.prefLabel)), str(p).removeprefix(NS), str(graph.value(o, SKOS.prefLabel))))
        return out

    shared_rel = sorted(relations(doc_a) & relations(doc_b))
    return {"documents": [doc_a, doc_b], "shared": rows(set(a) & set(b)), "only_first": rows(set(a) - set(b)),
            "only_second": rows(set(b) - set(a)),
            "shared_relations": [{"from": s, "property": p, "to": o} for s, p, o in shared_rel]}  # fmt: skip


def export(g: nx.MultiDiGraph, fmt: str) -> bytes:
    """The graph as GraphML or GEXF (for Gephi and Cytoscape): node label and type, edge property."""
    if fmt == "graphml":
        return "\n".join(nx.generate_graphml(g)).encode("utf-8") + b"\n"
    if fmt == "gexf":
        return "\n".join(nx.generate_gexf(g)).encode("utf-8") + b"\n"
    raise ValueError(f"unknown export format {fmt!r} (graphml or gexf)")
