"""The ``kg`` command line: parses arguments, calls the library, prints. No logic of its own.

Exit codes: 0 ok; 2 usage error or no input could be read; 3 some inputs were skipped;
1 an internal error (with ``--debug`` its traceback is shown).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_SKIPPED = 0, 1, 2, 3

# Modules that add sub-commands: each has ``add_commands(subparsers)`` and sets ``func`` on its
# parsers; a handler returns an exit code and raises ``UsageError`` for a user's mistake.
COMMAND_MODULES: tuple[str, ...] = ("kg.commands_data",)


class UsageError(Exception):
    """A problem with what the user asked for; printed as one line, exit code 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"kg: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into head, less …: not an error
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("kg: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place errors become messages
        if args.debug:
            raise
        print(f"kg: internal error: {exc.__class__.__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return EXIT_INTERNAL


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kg", description="Knowledge graphs with provenance from Chinese policy texts.")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="extract a graph from texts and write graph.ttl and graph.html")
    b.add_argument("inputs", nargs="+", metavar="INPUT", help=".txt/.md files, .jsonl corpora or folders")
    b.add_argument("--out", type=Path, default=Path("output"), help="output folder (default: output/)")
    b.add_argument("--format", action="append", choices=["ttl", "nt", "jsonld"], dest="formats",
                   help="also write this format (repeatable); ttl is always written")  # fmt: skip
    b.add_argument("--base", default=None, help="base IRI of minted entities")
    b.add_argument("--lexicon", action="append", default=[], type=Path, help="a user lexicon TSV (repeatable)")
    b.add_argument("--min-confidence", type=float, default=0.0, help="drop entities and relations below this")
    b.add_argument("--encoding", default=None, help="decode text inputs with this encoding")
    b.add_argument("--no-html", action="store_true", help="do not write graph.html")
    b.add_argument("--store", type=Path, metavar="DIR", help="also keep the graph in this Oxigraph store (a graph per document)")
    b.add_argument("--jobs", "-j", type=int, default=1, metavar="N", help="worker processes (0: one per core; default 1)")
    b.add_argument("--scheduler", metavar="ADDRESS", help="run the per-document work on this Dask scheduler (tcp://host:8786)")
    b.add_argument("--no-cache", action="store_true", help="extract every document again (no reuse of the last build's results)")
    b.add_argument("--max-bytes", type=_size, default=None, metavar="N",
                   help="skip inputs larger than N bytes (suffixes k, M, G; default 50M)")  # fmt: skip
    b.set_defaults(func=_build)

    q = sub.add_parser("query", help="run a SPARQL query on a graph")
    q.add_argument("graph", type=Path, nargs="?", help="a graph file, the folder kg build wrote, or a kg store folder")
    q.add_argument("query", nargs="?", help="the SPARQL query text")
    q.add_argument("--file", type=Path, help="read the query from this .rq file")
    q.add_argument("--name", help="run this saved query of ontology/queries (see --list)")
    q.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="a saved query's parameter (repeatable)")
    q.add_argument("--list", action="store_true", help="list the saved queries and their parameters")
    q.add_argument("--format", choices=["table", "csv", "tsv", "json"], default="table")
    q.set_defaults(func=_query)

    e = sub.add_parser("eval", help="score a graph against gold annotations")
    e.add_argument("gold", nargs="+", type=Path, help="gold JSON files")
    e.add_argument("--graph", type=Path, required=True, help="a graph file or the folder kg build wrote")
    e.add_argument("--json", action="store_true", help="print the figures as one JSON line (as score.py)")
    e.add_argument("--errors", type=int, default=40, help="list at most this many misses and false positives each")
    e.set_defaults(func=_eval)

    x = sub.add_parser("explain", help="show the sentences, offsets and rules behind an entity")
    x.add_argument("graph", type=Path)
    x.add_argument("label", help="a label or alias of the entity")
    x.set_defaults(func=_explain)

    v = sub.add_parser("view", help="write the HTML viewer of an existing graph")
    v.add_argument("graph", type=Path)
    v.add_argument("--out", type=Path, default=None, help="HTML file (default: graph.html beside the graph)")
    v.add_argument("--top", type=int, default=None, help="draw only the N most connected entities")
    v.add_argument("--focus", default=None, help="draw only this entity's neighbourhood")
    v.add_argument("--depth", type=int, default=1)
    v.set_defaults(func=_view)

    for name in COMMAND_MODULES:  # commands kept in their own modules register themselves
        importlib.import_module(name).add_commands(sub)
    return p


def _build(args: argparse.Namespace) -> int:
    import os
    import re

    from kg import ingest, pipeline
    from kg.parallel import SchedulerError
    from kg.resolve import DEFAULT_BASE
    from kg.resources import LexiconError

    formats = ["ttl", *(args.formats or [])]
    for path in args.lexicon:
        if not path.is_file():
            raise UsageError(f"{path}: lexicon file not found")
    base = args.base or DEFAULT_BASE
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]*", base):
        raise UsageError(f"--base {base!r} is not an absolute IRI (e.g. https://example.org/id/)")
    if args.jobs < 0:
        raise UsageError("--jobs must be 0 (one per core) or more")
    import signal

    def _terminate(signum: int, frame: object) -> None:  # unwind, so temporary files are removed
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread
        previous = None
    try:
        result = pipeline.build(
            args.inputs,
            out=args.out,
            formats=formats,
            base=base,
            lexicon_files=args.lexicon,
            min_confidence=args.min_confidence,
            encoding=args.encoding,
            html=not args.no_html,
            jobs=args.jobs or os.cpu_count() or 1,
            scheduler=args.scheduler,
            cache=not args.no_cache,
            max_bytes=ingest.MAX_BYTES if args.max_bytes is None else args.max_bytes,
            progress=True,
            log=lambda message: print(f"kg: {message}", file=sys.stderr),
        )
    except (LexiconError, UnicodeDecodeError) as exc:  # a malformed user lexicon
        raise UsageError(str(exc)) from None
    except SchedulerError as exc:
        raise UsageError(" ".join(str(exc).split())) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    for note in result.notes:
        print(f"kg: note: {note}", file=sys.stderr)
    for err in result.errors:
        print(f"kg: skipped {err}", file=sys.stderr)
    if not result.documents:
        print("kg: error: no input could be read; nothing written", file=sys.stderr)
        return EXIT_USAGE
    counts = result.counts()
    reused = f" ({result.reused} unchanged since the last build)" if result.reused else ""
    print(f"{len(result.documents)} document(s) -> {args.out}/{reused}")
    for name in ("Organization", "Person", "Programme", "Principle", "Policy", "Goal", "Event", "TargetGroup", "Role", "Place"):
        print(f"  {name:<14}{counts.get(name, 0):>6}")
    from kg.vocab import RELATIONS

    print("  relations     " + f"{sum(counts.get(p, 0) for p in RELATIONS):>5}  (" + ", ".join(
        f"{p} {counts[p]}" for p in RELATIONS if counts.get(p)) + ")")  # fmt: skip
    print(f"  triples       {result.triples:>5}")
    if args.store:
        from kg import store

        done = store.write_documents(args.store, result.documents, base=base)
        print(f"store {args.store}/: {len(done.added)} added, {len(done.replaced)} replaced, {len(done.unchanged)} unchanged")
    return EXIT_SKIPPED if result.errors else EXIT_OK


def _size(text: str) -> int:
    """``--max-bytes`` values: a number of bytes, with an optional k, M or G suffix."""
    import re

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)[bB]?\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 500000, 20M)")
    return int(float(m.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000, "g": 1_000_000_000}[m.group(2).lower()])


def _load(path: Path) -> Any:
    from kg.evaluate import load_graph

    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    try:
        return load_graph(path)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - a parse error in the user's file
        raise UsageError(f"{path}: not a readable RDF graph ({exc.__class__.__name__}: {str(exc)[:200]})") from None


def _query(args: argparse.Namespace) -> int:
    from kg import queries, query, store

    if args.list:
        sys.stdout.write(queries.listing())
        return EXIT_OK
    if args.graph is None:
        raise UsageError("give a GRAPH to query (or --list)")
    if sum(bool(x) for x in (args.query, args.file, args.name)) > 1:
        raise UsageError("give one of: a query, --file Q.rq, --name NAME")
    text = None
    if args.file:
        try:
            text = args.file.read_text("utf-8")
        except OSError as exc:
            raise UsageError(f"{args.file}: cannot be read ({exc.strerror or exc})") from None
    elif args.query:
        text = args.query
    try:
        text, bindings = queries.prepare(name=args.name, params=args.param, text=text)
        if store.is_store(args.graph):
            result = store.query(args.graph, text, bindings)
        else:
            result = query.run(_load(args.graph), text, bindings)
    except (query.QueryError, store.StoreError) as exc:
        raise UsageError(str(exc)) from None
    sys.stdout.write(query.format_result(result, args.format))
    return EXIT_OK


def _eval(args: argparse.Namespace) -> int:
    from kg import evaluate

    for f in args.gold:
        if not f.is_file():
            raise UsageError(f"{f}: gold file not found")
    report = evaluate.score(_load(args.graph), list(args.gold))
    if args.json:
        print(json.dumps(report.figures, ensure_ascii=False))
        return EXIT_OK
    f = report.figures
    print(f"entities   P {f['entity_p']:.3f}  R {f['entity_r']:.3f}  F1 {f['entity_f1']:.3f}"
          f"   ({f['pred_nodes']} predicted, {f['gold_entities']} gold)")  # fmt: skip
    print(f"relations  P {f['rel_p']:.3f}  R {f['rel_r']:.3f}  F1 {f['rel_f1']:.3f}"
          f"   ({f['pred_rels']} predicted, {f['gold_rels']} gold)")  # fmt: skip
    print("\nper type        P      R      F1   pred  gold")
    for t, v in report.per_type.items():
        print(f"  {t:<13}{v['p']:.3f}  {v['r']:.3f}  {v['f1']:.3f}  {v['pred']:>4}  {v['gold']:>4}")
    n = args.errors
    _listing("missed entities", [f"{t} {label}" for t, label in report.missed_entities], n)
    _listing("false entities (type label  <- rules)", [f"{t} {label}  <- {r}" for t, label, r in report.false_entities], n)
    _listing("missed relations", [" ".join(x) for x in report.missed_relations], n)
    _listing("false relations (<- rules)", [f"{s} {p} {o}  <- {r}" for s, p, o, r in report.false_relations], n)
    print("\nprecision by rule (right / found; optional gold entities count as right)")
    for rule, c in report.by_rule.items():
        total = c["tp"] + c["fp"]
        print(f"  {rule:<30}{c['tp'] / total:>6.2f}  {c['tp']:>4} / {total:<4}")
    return EXIT_OK


def _listing(title: str, rows: list[str], n: int) -> None:
    print(f"\n{title}: {len(rows)}")
    for row in rows[:n]:
        print(f"  {row}")
    if len(rows) > n:
        print(f"  … {len(rows) - n} more")


def _explain(args: argparse.Namespace) -> int:
    from kg import query

    graph = _load(args.graph)
    rows = query.explain(graph, args.label)
    if not rows:
        raise UsageError(f"no entity labelled {args.label!r} in {args.graph}")
    for line in rows:
        print(line)
    return EXIT_OK


def _view(args: argparse.Namespace) -> int:
    from kg import rdf, viewer

    graph = _load(args.graph)
    out = args.out or (args.graph if args.graph.is_dir() else args.graph.parent) / "graph.html"
    if out.is_dir():
        out = out / "graph.html"
    try:
        html = viewer.render(graph, top=args.top, focus=args.focus, depth=args.depth)
    except ValueError as exc:  # an unknown --focus label, a bad --top or --depth
        raise UsageError(str(exc)) from None
    rdf.write_atomic(out, html.encode("utf-8"))
    print(f"wrote {out}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
