"""Benchmark of the HTML viewer: how long a large graph takes to become still and usable.

Generates graphs of random entities and relations (with mentions, sentences and assertions, as
``kg build`` writes them), renders each with ``kg.viewer.render``, opens the page from disk in
headless Chromium with the network blocked, and reports:

- render: seconds in Python to make the page, and its size;
- ready: seconds from navigation until the network is drawn and still (``window.__kgReady``);
- search: milliseconds for a search over labels and aliases;
- redraw: milliseconds for one full redraw of the network (how smooth panning feels).

Usage::

    python bench/bench_viewer.py                 # 1,000 and 10,000 entities
    python bench/bench_viewer.py 300 3000 --graph out/graph.ttl
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from kg import viewer
from kg.resources import ENTITY_CLASSES
from kg.vocab import KG, RELATIONS, term

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip
BASE = "https://w3id.org/kg-policy/id/"
# resolves when the viewer has set window.__kgReady (the page's CSP forbids Playwright's string polling)
WAIT_READY = "() => window.__kgReady || new Promise((ok) => document.addEventListener('kg:ready', ok))"
CHARS = "天津市妇联改革方案巾帼创新创业行动服务妇女群众家庭建设发展理念社会主义核心价值观组织项目"


def random_graph(n: int, *, edges_per_node: float = 1.5, docs: int = 50, seed: int = 1) -> Graph:
    """``n`` entities of random classes and about ``edges_per_node * n`` relations, with provenance."""
    rnd = random.Random(seed)
    g = Graph()
    doc_iris = [URIRef(f"{BASE}doc/d{i}") for i in range(docs)]
    for i, d in enumerate(doc_iris):
        g.add((d, RDF.type, KG.Document))
        g.add((d, DCTERMS.title, Literal(f"文档{i}", lang="zh")))
        g.add((d, DCTERMS.date, Literal(f"2025-10-{1 + i % 28:02d}")))
    ents = []
    for i in range(n):
        label = "".join(rnd.choice(CHARS) for _ in range(rnd.randint(2, 12))) + str(i)
        e = URIRef(f"{BASE}e/{i}")
        ents.append(e)
        g.add((e, RDF.type, term(rnd.choice(ENTITY_CLASSES))))
        g.add((e, SKOS.prefLabel, Literal(label, lang="zh")))
        d = rnd.choice(doc_iris)
        s = URIRef(f"{d}/s/{i}")
        text = f"据报道，{label}近日开展了工作。"
        g.add((s, RDF.type, KG.Sentence))
        g.add((s, KG.inDocument, d))
        g.add((s, KG.startOffset, Literal(0)))
        g.add((s, KG.text, Literal(text, lang="zh")))
        m = URIRef(f"{d}/m/{i}")
        g.add((m, RDF.type, KG.Mention))
        g.add((m, KG.refersTo, e))
        g.add((m, KG.inSentence, s))
        g.add((m, KG.startOffset, Literal(4)))
        g.add((m, KG.endOffset, Literal(4 + len(label))))
    for k in range(int(n * edges_per_node)):
        # preferential attachment: a few hubs, as in real policy graphs
        a, b = ents[int(n * rnd.random() ** 2)], ents[rnd.randrange(n)]
        p = term(rnd.choice(RELATIONS))
        g.add((a, p, b))
        x = URIRef(f"{BASE}doc/d0/a/{k}")
        g.add((x, RDF.type, KG.Assertion))
        g.add((x, RDF.subject, a))
        g.add((x, RDF.predicate, p))
        g.add((x, RDF.object, b))
        g.add((x, KG.inSentence, URIRef(f"{BASE}doc/d0/s/{k % n}")))
    return g


def measure(browser: object, path: Path) -> dict[str, float]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    t0 = time.perf_counter()
    page.goto(path.as_uri())
    page.evaluate(WAIT_READY)
    ready = time.perf_counter() - t0
    search = page.evaluate("() => { const t = performance.now(); kgViewer.search('妇联'); return performance.now() - t }")
    redraw = page.evaluate("() => { const t = performance.now(); kgViewer.network.redraw(); return performance.now() - t }")
    nodes = page.evaluate("kgViewer.network.body.nodeIndices.length")
    edges = page.evaluate("kgViewer.network.body.edgeIndices.length")
    page.close()
    if requests:
        raise SystemExit(f"the page made network requests: {requests[:3]}")
    return {"ready": ready, "search": search, "redraw": redraw, "nodes": nodes, "edges": edges}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[1000, 10000], help="numbers of entities")
    ap.add_argument("--graph", action="append", default=[], type=Path, help="also a real graph file (ttl/nt/jsonld)")
    ap.add_argument("--repeat", type=int, default=1, help="browser runs per page (the best is reported)")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    cases: list[tuple[str, Graph]] = []
    for n in args.sizes:
        t = time.perf_counter()
        cases.append((f"random {n:,} entities", random_graph(n)))
        print(f"generated {n:,} entities in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    for path in args.graph:
        cases.append((str(path), Graph().parse(path)))
    print(f"{'graph':<28} {'nodes':>6} {'edges':>6} {'render':>7} {'html':>8} {'ready':>7} {'search':>7} {'redraw':>7}")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, graph in cases:
            t = time.perf_counter()
            html = viewer.render(graph)
            render = time.perf_counter() - t
            path = Path(tmp) / "graph.html"
            path.write_text(html, encoding="utf-8")
            runs = [measure(browser, path) for _ in range(max(1, args.repeat))]
            best = min(runs, key=lambda r: r["ready"])
            print(f"{name:<28} {best['nodes']:>6.0f} {best['edges']:>6.0f} {render:>6.2f}s {len(html) / 1e6:>6.1f}MB "
                  f"{best['ready']:>6.2f}s {best['search']:>5.0f}ms {best['redraw']:>5.0f}ms", flush=True)  # fmt: skip
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
