"""Benchmark of networkx analytics on the news corpus graph: conversion, paths with evidence, centrality, communities.

Reads a graph (by default it builds ``../shared/corpus/news-2025.jsonl`` first), converts it with
``kg.analysis.to_networkx`` and times, in one run:

- the conversion of the rdflib graph to the networkx entity graph;
- shortest paths between random connected pairs of entities (fixed seed): networkx alone, and
  ``kg.analysis.shortest_path`` (label lookup, the least-connected of the shortest paths, and the
  evidence sentence of every hop);
- degree centrality and PageRank; Louvain communities.

Usage::

    python bench/bench_paths.py [GRAPH] [--pairs 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx

from kg import analysis, pipeline
from kg.evaluate import load_graph

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("graph", type=Path, nargs="?", help="a graph file or build folder (default: build the news corpus)")
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    t = time.perf_counter()
    if args.graph is None:
        corpus = REPO.parent / "shared" / "corpus" / "news-2025.jsonl"
        if not corpus.is_file():
            print(f"bench_paths: {corpus}: corpus not found; give a GRAPH", file=sys.stderr)
            return 2
        with tempfile.TemporaryDirectory() as tmp:
            graph = pipeline.build([corpus], out=Path(tmp), html=False).graph
        print(f"built the news corpus graph in {time.perf_counter() - t:.1f} s")
    else:
        graph = load_graph(args.graph)
        print(f"read {args.graph} in {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    g = analysis.to_networkx(graph)
    convert = time.perf_counter() - t
    undirected = g.to_undirected(as_view=True)
    giant = max(nx.connected_components(undirected), key=len)
    print(f"{len(graph):,} triples -> {g.number_of_nodes():,} entities, {g.number_of_edges():,} relations "
          f"(largest component {len(giant):,}); conversion {convert * 1000:.0f} ms")  # fmt: skip

    rng = random.Random(args.seed)
    nodes = sorted(giant)
    pairs = [tuple(rng.sample(nodes, 2)) for _ in range(args.pairs)]
    plain, full, hops = [], [], []
    for a, b in pairs:
        t = time.perf_counter()
        nx.shortest_path(undirected, a, b)
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        path = analysis.shortest_path(g, graph, g.nodes[a]["label"], g.nodes[b]["label"])
        full.append(time.perf_counter() - t)
        hops.append(len(path))
    p, f = statistics.median(plain), statistics.median(full)
    print(f"\nshortest path, {len(pairs)} random pairs (median hops {statistics.median(hops):.0f})")
    print(f"  networkx shortest_path              {p * 1000:8.3f} ms median")
    print(f"  kg analysis.shortest_path+evidence  {f * 1000:8.3f} ms median   ({f / p:.0f}x networkx alone)")

    for name, fn in (("degree centrality", lambda: analysis.centrality(g, top=20)),
                     ("PageRank", lambda: analysis.centrality(g, measure="pagerank", top=20)),
                     ("Louvain communities", lambda: analysis.communities(g, seed=42))):  # fmt: skip
        t = time.perf_counter()
        fn()
        print(f"  {name:<36}{(time.perf_counter() - t) * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
