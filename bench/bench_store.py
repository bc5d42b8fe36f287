"""Benchmark of the store path: load and a selective two-hop query on about one million triples.

Extracts the news corpus once (``../shared/corpus/news-2025.jsonl``), then makes ``--copies``
renamed copies of every document graph (each copy's IRIs under its own base, so copies share
nothing) and loads them three ways, measured side by side in one run:

- kg: ``kg.store.write_documents`` into an on-disk store (one named graph per document and their
  merge as the default graph, content hashes), queried with ``kg.store.execute`` (kg's prefixes,
  the parameter bound as kg binds it);
- raw pyoxigraph: ``Store.bulk_load`` of the same triples as N-Triples into an on-disk store,
  queried with ``Store.query``;
- rdflib: ``Graph.parse`` of the same N-Triples in memory, queried with ``Graph.query``.

The query: the names of the programmes that the organisation with the most ``runs`` relations
runs, from its label (label -> organisation -> programme -> label). Usage::

    python bench/bench_store.py [--copies 6] [--corpus ../shared/corpus/news-2025.jsonl] [--skip-rdflib]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, Literal

from kg import ingest, pipeline, rdf, store
from kg.model import DocumentGraph
from kg.query import PREFIXES
from kg.resolve import DEFAULT_BASE

REPO = Path(__file__).resolve().parents[1]
QUERY = """SELECT ?programme WHERE {
  ?org skos:prefLabel ?label ; kg:runs ?p .
  ?p skos:prefLabel ?programme .
}"""


def rebase(dg: DocumentGraph, base: str) -> DocumentGraph:
    """The same document graph with every entity IRI moved from the default base to ``base``."""

    def move(iri: str) -> str:
        return base + iri.removeprefix(DEFAULT_BASE)

    entities = tuple(dataclasses.replace(e, iri=move(e.iri)) for e in dg.entities)
    relations = tuple(dataclasses.replace(r, subject=move(r.subject), object=move(r.object)) for r in dg.relations)
    return dataclasses.replace(dg, entities=entities, relations=relations, focus=tuple(move(f) for f in dg.focus))


def side_by_side(fns: dict[str, Callable[[], list[Any]]], repeat: int) -> dict[str, tuple[float, list[Any]]]:
    """The median seconds of ``repeat`` calls of each function, calls interleaved (after one warm-up each), and the answers."""
    answers = {name: fn() for name, fn in fns.items()}
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.perf_counter()
            answers[name] = fn()
            times[name].append(time.perf_counter() - t)
    return {name: (statistics.median(times[name]), answers[name]) for name in fns}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "news-2025.jsonl")
    ap.add_argument("--copies", type=int, default=6)
    ap.add_argument("--skip-rdflib", action="store_true")
    args = ap.parse_args()
    if not args.corpus.is_file():
        print(f"bench_store: {args.corpus}: corpus not found", file=sys.stderr)
        return 2

    t = time.perf_counter()
    extractor = pipeline.Extractor.create()
    docs = [extractor.extract(d) for d in ingest.read_inputs([args.corpus]) if not isinstance(d, ingest.InputError)]
    print(f"extracted {len(docs)} documents in {time.perf_counter() - t:.1f} s")
    bases = [f"{DEFAULT_BASE}copy{k}/" for k in range(args.copies)]
    copies = [[rebase(dg, b) for dg in docs] for b in bases]
    orgs = Counter(str(s) for dg in docs for r in dg.relations if r.property == "runs" for s in [r.subject])
    label = next(e.label for dg in docs for e in dg.entities if e.iri == orgs.most_common(1)[0][0])

    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        # kg's store path
        t = time.perf_counter()
        for base, batch in zip(bases, copies, strict=True):
            store.write_documents(Path(tmp) / "kg", batch, base=base)
        kg_load = time.perf_counter() - t
        n_kg = sum(d["triples"] for d in store.documents(Path(tmp) / "kg").values())

        # the same triples as one N-Triples text
        nt = b"".join(rdf.serialize(rdf.to_graph(batch, base=base), "nt") for base, batch in zip(bases, copies, strict=True))
        n_lines = nt.count(b"\n")
        t = time.perf_counter()
        raw = ox.Store(str(Path(tmp) / "raw"))
        raw.bulk_load(nt, format=ox.RdfFormat.N_TRIPLES)
        raw_load = time.perf_counter() - t

        rdflib_load = float("nan")
        g = None
        if not args.skip_rdflib:
            t = time.perf_counter()
            g = Graph().parse(data=nt, format="nt")
            rdflib_load = time.perf_counter() - t
        print(f"\n{n_kg:,} triples in {args.copies * len(docs):,} document graphs ({n_lines:,} in the merged copies)")
        print(f"query: the programmes {label} runs")

        print("\nload                          seconds   ratio to raw pyoxigraph")
        print(f"  kg store (write_documents)  {kg_load:8.2f}   {kg_load / raw_load:6.2f}x")
        print(f"  raw pyoxigraph bulk_load    {raw_load:8.2f}   {1:6.2f}x")
        if g is not None:
            print(f"  rdflib parse (in memory)    {rdflib_load:8.2f}   {rdflib_load / raw_load:6.2f}x")

        db = store.open_store(Path(tmp) / "kg")
        lit = Literal(label, lang="zh")
        raw_text = PREFIXES + QUERY.replace("?label", str(store.to_ox(lit)), 1)
        timing = side_by_side({"kg": lambda: list(store.execute(db, QUERY, {"label": lit})),
                               "raw": lambda: list(raw.query(raw_text))}, 200)  # fmt: skip
        (kg_q, kg_rows), (raw_q, raw_rows) = timing["kg"], timing["raw"]
        print(f"\nselective two-hop query ({len(raw_rows)} rows)  ms   ratio to raw pyoxigraph")
        print(f"  kg store (store.execute)    {kg_q * 1000:10.3f}   {kg_q / raw_q:8.2f}x")
        print(f"  raw pyoxigraph              {raw_q * 1000:10.3f}   {1:8.2f}x")
        assert len(kg_rows) == len(raw_rows)
        if g is not None:
            in_memory = g
            rdflib_query = {"rdflib": lambda: list(in_memory.query(PREFIXES + QUERY, initBindings={"label": lit}))}
            rdf_q, rdf_rows = side_by_side(rdflib_query, 5)["rdflib"]
            assert len(rdf_rows) == len(raw_rows)
            print(f"  rdflib in memory            {rdf_q * 1000:10.3f}   {rdf_q / raw_q:8.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
