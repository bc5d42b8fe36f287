"""Sub-commands over built graphs: ``serve``, ``push``, ``analyze``, ``export`` and ``store``.

Each handler parses nothing itself: it calls the library and prints, returns an exit code and
raises ``kg.cli.UsageError`` for a user's mistake (printed as one line, exit code 2).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import Any

from kg.cli import EXIT_INTERNAL, EXIT_OK, EXIT_SKIPPED, EXIT_USAGE, UsageError

GRAPH_HELP = "a graph file, the folder kg build wrote, or a kg store folder"
PUSH_EPILOG = """Graph Store Protocol endpoints (--endpoint) of common servers:
  Oxigraph   http://HOST:7878/store
  Fuseki     http://HOST:3030/DATASET/data
  GraphDB    http://HOST:7200/repositories/REPO/rdf-graphs/service
  Virtuoso   http://HOST:8890/sparql-graph-crud (once SPARQL_UPDATE is granted to SPARQL; no authentication here)
A graph already there with the same number of triples is skipped, so a stopped push resumes."""


def add_commands(sub: Any) -> None:
    s = sub.add_parser("serve", help="serve a graph read-only over the SPARQL 1.1 Protocol, with the viewer at /")
    s.add_argument("graph", type=Path, help=GRAPH_HELP)
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    s.add_argument("--port", type=int, default=7878)
    s.add_argument("--timeout", type=float, default=10.0, help="stop a query after this many seconds (default: 10)")
    s.add_argument("--max-rows", type=int, default=10000, help="send at most this many rows or triples (default: 10000)")
    s.add_argument("--workers", type=int, default=2, help="query worker processes (default: 2)")
    s.add_argument("--quiet", action="store_true", help="do not log requests")
    s.set_defaults(func=_serve)

    p = sub.add_parser("push", help="load a graph into a SPARQL 1.1 Graph Store Protocol server, one named graph per document",
                       epilog=PUSH_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("graph", type=Path, help=GRAPH_HELP)
    p.add_argument("--endpoint", required=True, help="the Graph Store Protocol URL, e.g. http://127.0.0.1:7878/store")
    p.add_argument("--retries", type=int, default=3, help="retries of a failed request (default: 3)")
    p.add_argument("--backoff", type=float, default=0.5, help="seconds before the first retry, doubled each time")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one request")
    p.set_defaults(func=_push)

    a = sub.add_parser("analyze", help="networkx analytics: centrality, paths, neighbourhoods, communities, documents")
    a.add_argument("graph", type=Path, help=GRAPH_HELP)
    how = a.add_subparsers(dest="analysis", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print JSON instead of a table")
    c = how.add_parser("centrality", parents=[common], help="entities ranked by degree centrality or PageRank")
    c.add_argument("--measure", choices=["degree", "pagerank"], default="degree")
    c.add_argument("--top", type=int, default=20)
    c.add_argument("--type", default=None, help="only entities of this class, e.g. Programme")
    pa = how.add_parser("path", parents=[common], help="the shortest chain of relations between two entities, with evidence")
    pa.add_argument("source", help="a label of the first entity")
    pa.add_argument("target", help="a label of the second entity")
    n = how.add_parser("neighbours", aliases=["neighbourhood"], parents=[common], help="an entity's neighbourhood")
    n.add_argument("label")
    n.add_argument("--depth", type=int, default=1)
    co = how.add_parser("communities", parents=[common], help="Louvain communities")
    co.add_argument("--seed", type=int, default=42)
    co.add_argument("--resolution", type=float, default=1.0)
    co.add_argument("--min-size", type=int, default=2)
    d = how.add_parser("compare", parents=[common], help="entities two documents share, and those only one has")
    d.add_argument("doc_a", help="a document identifier")
    d.add_argument("doc_b", help="another document identifier")
    a.set_defaults(func=_analyze)

    e = sub.add_parser("export", help="write the entity graph as GraphML or GEXF (Gephi, Cytoscape)")
    e.add_argument("graph", type=Path, help=GRAPH_HELP)
    e.add_argument("--format", choices=["graphml", "gexf"], default="graphml")
    e.add_argument("--out", type=Path, default=None, help="output file (default: graph.FORMAT beside the graph)")
    e.set_defaults(func=_export)

    st = sub.add_parser("store", help="a persistent on-disk store, one named graph per document")
    ops = st.add_subparsers(dest="store_command", required=True)
    ld = ops.add_parser("load", help="extract INPUTs into the store: new documents added, changed ones replaced")
    ld.add_argument("store", type=Path, help="the store folder (created if missing)")
    ld.add_argument("inputs", nargs="+", metavar="INPUT", help=".txt/.md files, .jsonl corpora or folders")
    ld.add_argument("--lexicon", action="append", default=[], type=Path, help="a user lexicon TSV (repeatable)")
    ld.add_argument("--base", default=None, help="base IRI of minted entities")
    ld.add_argument("--min-confidence", type=float, default=0.0)
    ld.add_argument("--encoding", default=None)
    ld.set_defaults(func=_store_load)
    info = ops.add_parser("info", help="the store's documents and triples")
    info.add_argument("store", type=Path)
    info.set_defaults(func=_store_info)


def _graph(path: Path, *, mentions: bool = True) -> Any:
    """An rdflib graph of a graph file, a build folder or a store (the union of its documents)."""
    from kg import store
    from kg.cli import _load

    if store.is_store(path):
        try:
            return store.to_rdflib(path, mentions=mentions)
        except store.StoreError as exc:
            raise UsageError(str(exc)) from None
    return _load(path)


def _print(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=1))


def _serve(args: argparse.Namespace) -> int:
    from kg import serve, store

    if args.timeout <= 0 or args.max_rows <= 0 or args.workers <= 0:
        raise UsageError("--timeout, --max-rows and --workers must be positive")
    try:
        server, endpoint = serve.make_server(args.graph, host=args.host, port=args.port, timeout=args.timeout,
                                             row_cap=args.max_rows, workers=args.workers, quiet=args.quiet)  # fmt: skip
    except store.StoreError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    host, port = str(server.server_address[0]), int(server.server_address[1])
    print(f"serving {args.graph} at http://{host}:{port}/sparql (viewer at http://{host}:{port}/); Ctrl-C stops", flush=True)
    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # a terminated server still stops its workers and removes its files
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        endpoint.close()
    return EXIT_OK


def _push(args: argparse.Namespace) -> int:
    from kg import store

    if not args.endpoint.startswith(("http://", "https://")):
        raise UsageError(f"--endpoint {args.endpoint!r}: give an http:// or https:// URL")
    source = args.graph if store.is_store(args.graph) else _graph(args.graph)

    def progress(name: str, what: str) -> None:
        print(f"  {what:<8}{name}", flush=True)

    try:
        report = store.push(source, args.endpoint, retries=max(args.retries, 0), backoff=args.backoff, timeout=args.timeout,
                            progress=progress)  # fmt: skip
    except store.PushError as exc:
        print(f"kg: error: push stopped: {exc}; graphs pushed so far stay there, run the same command to resume", file=sys.stderr)
        return EXIT_INTERNAL
    except store.StoreError as exc:
        raise UsageError(str(exc)) from None
    print(f"{len(report.pushed)} graph(s) pushed, {len(report.skipped)} already there; {report.triples} triples in all")
    return EXIT_OK


def _analyze(args: argparse.Namespace) -> int:
    from kg import analysis

    graph = _graph(args.graph, mentions=False)
    g = analysis.to_networkx(graph)
    try:
        if args.analysis == "centrality":
            data: Any = analysis.centrality(g, measure=args.measure, top=args.top, type=args.type)
            rows = [[str(r["rank"]), r["label"], r["type"], f"{r['score']:.4f}", str(r["degree"])] for r in data]
            table = _table(["rank", "entity", "type", args.measure, "degree"], rows)
        elif args.analysis == "path":
            data = analysis.shortest_path(g, graph, args.source, args.target)
            table = _path_table(args.source, args.target, data)
        elif args.analysis in ("neighbours", "neighbourhood"):
            data = analysis.neighbourhood(g, graph, args.label, depth=args.depth)
            table = _table(["distance", "entity", "type"], [[str(n["distance"]), n["label"], n["type"]] for n in data["nodes"]])
            table += "\n" + _table(["from", "relation", "to"], [[e["from"], e["property"], e["to"]] for e in data["edges"]])
        elif args.analysis == "communities":
            data = analysis.communities(g, seed=args.seed, resolution=args.resolution, min_size=args.min_size)
            rows = [[str(c["community"]), str(c["size"]), "、".join(m["label"] for m in c["members"][:12])
                     + (" …" if c["size"] > 12 else "")] for c in data]  # fmt: skip
            table = _table(["community", "size", "members (most connected first)"], rows)
        else:
            data = analysis.compare_documents(g, graph, args.doc_a, args.doc_b)
            table = ""
            for key in ("shared", "only_first", "only_second"):
                table += f"{key.replace('_', ' ')}: {len(data[key])}\n"
                table += "".join(f"  {r['type']:<13}{r['label']}\n" for r in data[key])
            table += f"shared relations: {len(data['shared_relations'])}\n"
            table += "".join(f"  {r['from']} {r['property']} {r['to']}\n" for r in data["shared_relations"])
    except ValueError as exc:
        raise UsageError(f"{args.graph}: {exc}") from None
    if args.json:
        _print(data)
    else:
        sys.stdout.write(table)
    return EXIT_OK


def _table(names: list[str], rows: list[list[str]]) -> str:
    from kg.query import _table as table

    return table(names, rows)


def _path_table(source: str, target: str, hops: list[dict[str, Any]]) -> str:
    if not hops:
        return f"no path between {source} and {target}\n"
    out = [f"{source} -> {target}: {len(hops)} hop(s)"]
    for i, h in enumerate(hops, 1):
        out.append(f"{i}. {h['from']} {h['property']} {h['to']}")
        for ev in h["evidence"][:3]:
            out.append(f"     {ev['doc']} [{ev['start']},{ev['end']}) by {ev['rule']}: {ev['sentence']}")
        if len(h["evidence"]) > 3:
            out.append(f"     … {len(h['evidence']) - 3} more")
    return "\n".join(out) + "\n"


def _export(args: argparse.Namespace) -> int:
    from kg import analysis, rdf

    g = analysis.to_networkx(_graph(args.graph, mentions=False))
    out = args.out or (args.graph if args.graph.is_dir() else args.graph.parent) / f"graph.{args.format}"
    if out.is_dir():
        out = out / f"graph.{args.format}"
    rdf.write_atomic(out, analysis.export(g, args.format))
    print(f"wrote {out} ({g.number_of_nodes()} entities, {g.number_of_edges()} relations)")
    return EXIT_OK


def _store_load(args: argparse.Namespace) -> int:
    from kg import ingest, pipeline, store
    from kg.resolve import DEFAULT_BASE
    from kg.resources import LexiconError

    for path in args.lexicon:
        if not path.is_file():
            raise UsageError(f"{path}: lexicon file not found")
    if args.store.exists() and not store.is_store(args.store) and any(args.store.iterdir()):
        raise UsageError(f"{args.store}: a folder that is not a kg store; give a new or empty folder")
    try:
        extractor = pipeline.Extractor.create(lexicon_files=args.lexicon, base=args.base or DEFAULT_BASE)
    except (LexiconError, UnicodeDecodeError) as exc:
        raise UsageError(str(exc)) from None
    errors: list[str] = []
    seen: set[str] = set()

    def documents() -> Any:
        for item in ingest.read_inputs(args.inputs, encoding=args.encoding):
            if isinstance(item, ingest.InputError):
                errors.append(str(item))
            elif item.id in seen:
                errors.append(f"{item.path}: document id {item.id!r} already read; skipped")
            else:
                seen.add(item.id)
                yield extractor.extract(item, min_confidence=args.min_confidence)

    try:
        report = store.write_documents(args.store, documents(), base=args.base or DEFAULT_BASE)
    except store.StoreError as exc:
        raise UsageError(str(exc)) from None
    for err in errors:
        print(f"kg: skipped {err}", file=sys.stderr)
    if not seen:
        print("kg: error: no input could be read; nothing written", file=sys.stderr)
        return EXIT_USAGE
    print(f"{args.store}/: {len(report.added)} added, {len(report.replaced)} replaced, {len(report.unchanged)} unchanged")
    return EXIT_SKIPPED if errors else EXIT_OK


def _store_info(args: argparse.Namespace) -> int:
    from kg import store

    try:
        docs = store.documents(args.store)
    except store.StoreError as exc:
        raise UsageError(str(exc)) from None
    merged = next(iter(store.query(args.store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))[0]  # type: ignore[index]
    triples = sum(d["triples"] for d in docs.values())
    print(f"{args.store}/: {len(docs)} document(s), {triples} triples in their graphs, {merged} in the merged graph")
    for iri, d in sorted(docs.items(), key=lambda kv: kv[1]["id"]):
        print(f"  {d['id']:<32}{d['triples']:>8}  {iri}")
    return EXIT_OK
