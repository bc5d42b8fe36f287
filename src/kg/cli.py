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
COMMAND_MODULES: tuple[str, ...] = ()


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
    b.set_defaults(func=_build)

    q = sub.add_parser("query", help="run a SPARQL query on a graph")
    q.add_argument("graph", type=Path, help="a graph file or the folder kg build wrote")
    q.add_argument("query", nargs="?", help="the SPARQL query text")
    q.add_argument("--file", type=Path, help="read the query from this .rq file")
    q.add_argument("--format", choices=["table", "csv", "json"], default="table")
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
    from kg import pipeline
    from kg.resolve import DEFAULT_BASE
    from kg.resources import LexiconError

    formats = ["ttl", *(args.formats or [])]
    for path in args.lexicon:
        if not path.is_file():
            raise UsageError(f"{path}: lexicon file not found")
    try:
        result = pipeline.build(
            args.inputs,
            out=args.out,
            formats=formats,
            base=args.base or DEFAULT_BASE,
            lexicon_files=args.lexicon,
            min_confidence=args.min_confidence,
            encoding=args.encoding,
            html=not args.no_html,
        )
    except (LexiconError, UnicodeDecodeError) as exc:  # a malformed user lexicon
        raise UsageError(str(exc)) from None
    for err in result.errors:
        print(f"kg: skipped {err}", file=sys.stderr)
    if not result.documents:
        print("kg: error: no input could be read; nothing written", file=sys.stderr)
        return EXIT_USAGE
    counts = result.counts()
    print(f"{len(result.documents)} document(s) -> {args.out}/")
    for name in ("Organization", "Person", "Programme", "Principle", "Policy", "Goal", "Event", "TargetGroup", "Role", "Place"):
        print(f"  {name:<14}{counts.get(name, 0):>6}")
    from kg.vocab import RELATIONS

    print("  relations     " + f"{sum(counts.get(p, 0) for p in RELATIONS):>5}  (" + ", ".join(
        f"{p} {counts[p]}" for p in RELATIONS if counts.get(p)) + ")")  # fmt: skip
    print(f"  triples       {len(result.graph):>5}")
    return EXIT_SKIPPED if result.errors else EXIT_OK


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
    from kg import query

    if args.file:
        try:
            text = args.file.read_text("utf-8")
        except OSError as exc:
            raise UsageError(f"{args.file}: cannot be read ({exc.strerror or exc})") from None
    elif args.query:
        text = args.query
    else:
        raise UsageError("give a query or --file Q.rq")
    graph = _load(args.graph)
    try:
        result = query.run(graph, text)
    except query.QueryError as exc:
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
    print("\nper type       P      R      F1   pred  gold")
    for t, v in report.per_type.items():
        print(f"  {t:<12}{v['p']:.3f}  {v['r']:.3f}  {v['f1']:.3f}  {v['pred']:>4}  {v['gold']:>4}")
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
    html = viewer.render(graph, top=args.top, focus=args.focus, depth=args.depth)
    rdf.write_atomic(out, html.encode("utf-8"))
    print(f"wrote {out}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
