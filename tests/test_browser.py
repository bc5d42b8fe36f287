"""The viewer in a real headless Chromium with the network blocked: draws, searches, shows
evidence, and runs no script from document text.

Needs Debian's ``chromium`` at /usr/bin/chromium and Playwright from PyPI (its own browsers are
never downloaded); skipped otherwise.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rdflib import RDF, Graph

from kg import viewer
from kg.resources import ENTITY_CLASSES
from kg.vocab import term

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REFERENCE = SHARED / "corpus" / "000_56f2f42b0c68c09b.txt"
# resolves when the viewer is drawn and still (the page's CSP forbids Playwright's string polling)
WAIT_READY = "() => window.__kgReady || new Promise((ok) => document.addEventListener('kg:ready', ok))"

pytestmark = [
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason=f"no Chromium at {CHROMIUM} (Debian package chromium)"),
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None, reason="Playwright is not installed (pip)"),
]


@dataclass
class Page:
    """An open viewer page with what it logged and the requests it tried."""

    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)

    def clean(self) -> None:
        assert self.errors == []
        assert self.requests == []


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    contexts = []

    def open_(html_or_path: str | Path) -> Page:
        path = html_or_path if isinstance(html_or_path, Path) else tmp_path / "graph.html"
        if not isinstance(html_or_path, Path):
            path.write_text(html_or_path, encoding="utf-8")
        ctx = browser.new_context(viewport={"width": 1400, "height": 900})
        contexts.append(ctx)
        page = ctx.new_page()
        p = Page(page)
        page.on("console", lambda m: p.errors.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: p.errors.append(str(e)))
        page.on("request", lambda r: p.requests.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
        page.goto(path.as_uri())
        page.evaluate(WAIT_READY)
        return p

    yield open_
    for ctx in contexts:
        ctx.close()


def entity_count(g: Graph) -> int:
    return len({s for c in ENTITY_CLASSES for s in g.subjects(RDF.type, term(c))})


def click_node(p: Page, label: str) -> None:
    """Click the node labelled ``label`` on the canvas, at a point of it that no edge covers."""
    x, y = p.js(
        """(label) => {
            const v = kgViewer, id = v.data.entities.findIndex((e) => e.label === label);
            v.network.focus(id, { scale: 1.5, animation: false });
            const b = v.network.getBoundingBox(id), box = document.getElementById("net").getBoundingClientRect();
            for (let i = 1; i < 10; i++) for (let j = 1; j < 10; j++) {
                const w = b.right - b.left, h = b.bottom - b.top;
                const at = v.network.canvasToDOM({ x: b.left + w * i / 10, y: b.top + h * j / 10 });
                const free = v.network.getNodeAt(at) === id && v.network.getEdgeAt(at) === undefined;
                if (free) return [box.left + at.x, box.top + at.y];
            }
            const at = v.network.canvasToDOM(v.network.getPositions([id])[id]);
            return [box.left + at.x, box.top + at.y];
        }""",
        label,
    )
    p.page.mouse.click(x, y)


def search(p: Page, text: str) -> list[str]:
    p.page.fill("#search", text)
    return p.page.locator("#results li button").all_inner_texts()


def test_page_draws_offline(open_page: Any) -> None:
    from test_viewer import small_graph

    p = open_page(viewer.render(small_graph()))
    assert p.js("kgViewer.network.body.nodeIndices.length") == 2
    assert p.js("kgViewer.network.body.edgeIndices.length") == 1
    assert p.page.locator("#title").inner_text() == "天津市妇联改革方案"
    assert "2017-05-04" in p.page.locator("#docs").inner_text()
    assert p.page.locator("#legend label").all_inner_texts() == ["●组织 Organization (1)", "◆项目 Programme (1)"]
    p.clean()


def test_search_and_click_show_the_evidence(open_page: Any) -> None:
    from test_viewer import TEXT, small_graph

    p = open_page(viewer.render(small_graph()))
    assert search(p, "津帼") == ["◆津帼众创"]
    assert search(p, "市妇联") == ["●天津市妇联"]  # the label contains it, before aliases
    assert search(p, "没有") == []
    search(p, "津帼众创")
    p.page.locator("#results li button").first.click()
    panel = p.page.locator("#panel")
    assert panel.is_visible()
    assert panel.locator("h2").inner_text() == "津帼众创"
    assert TEXT in panel.inner_text() and "天津市妇联改革方案 · 2017-05-04" in panel.inner_text()
    assert panel.locator("mark").all_inner_texts() == ["津帼众创"]
    p.page.keyboard.press("Escape")
    assert not panel.is_visible()
    click_node(p, "天津市妇联")  # a click on the canvas opens the panel too
    assert panel.locator("h2").inner_text() == "天津市妇联"
    assert "开展 runs → 津帼众创" in panel.inner_text() and "市妇联" in panel.inner_text()
    assert panel.locator("mark").all_inner_texts() == ["天津市妇联"]
    p.clean()


def test_edge_hover_shows_property_and_evidence(open_page: Any) -> None:
    from test_viewer import TEXT, small_graph

    p = open_page(viewer.render(small_graph()))
    x, y = p.js(
        """() => {
            const n = kgViewer.network, pos = n.getPositions([0, 1]);
            const mid = n.canvasToDOM({ x: (pos[0].x + pos[1].x) / 2, y: (pos[0].y + pos[1].y) / 2 });
            const box = document.getElementById("net").getBoundingClientRect();
            return [box.left + mid.x, box.top + mid.y];
        }"""
    )
    p.page.mouse.move(x - 3, y - 3)
    p.page.mouse.move(x, y)
    tip = p.page.locator("#tip")
    tip.wait_for(state="visible", timeout=5000)
    assert "开展 runs" in tip.inner_text() and TEXT in tip.inner_text()
    assert tip.locator("mark").all_inner_texts() == ["天津市妇联深化津帼众创"]
    p.clean()


def test_filters_and_focus(open_page: Any) -> None:
    from test_viewer import hub_graph

    p = open_page(viewer.render(hub_graph(4)))
    shown = "() => [kgViewer.nodeView.length, kgViewer.edgeView.length]"
    assert p.js(shown) == [6, 8]
    p.page.locator("#legend label", has_text="Programme").locator("input").uncheck()
    assert p.js(shown) == [1, 0]
    p.page.click("#reset")
    p.page.locator("#props label", has_text="part of").locator("input").uncheck()
    assert p.js(shown) == [6, 5]
    p.page.click("#reset")
    search(p, "项目1")
    p.page.locator("#results li button").first.click()
    p.page.fill("#depth", "1")
    p.page.click("#focus")
    assert sorted(p.js("kgViewer.nodeView.getIds()")) == [0, 2, 3, 4]  # 项目1, its chain neighbours, 妇联
    p.page.fill("#depth", "0")
    p.page.dispatch_event("#depth", "change")
    assert p.js("kgViewer.nodeView.getIds()") == [3]
    p.page.click("#reset")
    assert p.js(shown) == [6, 8]
    p.clean()


def test_document_text_runs_no_script(open_page: Any) -> None:
    from test_viewer import XSS, xss_graph

    p = open_page(viewer.render(xss_graph()))
    assert p.page.locator("#title").inner_text() == XSS[3]
    for payload in XSS:
        hits = search(p, payload)
        assert hits and hits[0].endswith(payload)
        p.page.locator("#results li button").first.click()
        assert p.page.locator("#panel h2").inner_text() == payload
    for eid in p.js("kgViewer.edges.getIds()"):
        p.js("(id) => kgViewer.openEdge(id)", eid)
    click_node(p, XSS[1])
    p.page.mouse.move(5, 5)
    assert p.js("window.__xss") is None
    assert p.js("document.querySelectorAll('img, a, iframe, object, embed, link').length") == 0
    assert p.js("document.scripts.length") == 3
    p.clean()


def test_a_large_graph_is_drawn_still(open_page: Any) -> None:
    from test_viewer import hub_graph

    g = hub_graph(viewer.PHYSICS_LIMIT + 50)
    p = open_page(viewer.render(g))
    assert p.js("kgViewer.network.body.nodeIndices.length") == entity_count(g)
    assert p.js("kgViewer.network.physics.physicsEnabled") is False
    assert p.js("kgViewer.search('项目12').length") == 11  # 项目12, 项目120..129
    p.clean()


@pytest.mark.skipif(not REFERENCE.is_file(), reason=f"the reference article is not at {REFERENCE}")
def test_reference_article(open_page: Any, tmp_path: Path) -> None:
    from kg import pipeline

    result = pipeline.build([REFERENCE], out=tmp_path)
    assert viewer.render(result.graph) == (tmp_path / "graph.html").read_text("utf-8")  # deterministic
    p = open_page(tmp_path / "graph.html")
    n = entity_count(result.graph)
    assert n > 20
    assert p.js("kgViewer.network.body.nodeIndices.length") == n
    assert p.js("kgViewer.network.physics.physicsEnabled") is False  # stabilised, then stopped
    assert "◆津帼众创" in search(p, "津帼众创")
    p.page.locator("#results li button", has_text="津帼众创").first.click()
    panel = p.page.locator("#panel")
    assert panel.locator("h2").inner_text() == "津帼众创"
    assert "津帼众创" in panel.locator(".sent mark").all_inner_texts()
    assert panel.locator(".sent").count() >= 1
    p.clean()


def test_focus_in_a_large_graph_lays_out_the_neighbourhood(open_page: Any) -> None:
    from test_viewer import hub_graph

    p = open_page(viewer.render(hub_graph(viewer.PHYSICS_LIMIT + 50)))
    before = p.js("() => kgViewer.network.getPositions()")
    p.page.fill("#search", "项目7")
    p.page.locator("#results li button").first.click()
    p.js("() => new Promise((ok) => { document.addEventListener('kg:relaxed', ok); document.getElementById('focus').click(); })")
    assert p.js("kgViewer.nodeView.length") == 4 and p.js("kgViewer.network.physics.physicsEnabled") is False
    p.page.click("#reset")
    assert p.js("kgViewer.nodeView.length") == viewer.PHYSICS_LIMIT + 52
    assert p.js("() => kgViewer.network.getPositions()") == before  # everything back where it was
    p.clean()


def test_an_empty_graph_loads(open_page: Any) -> None:
    p = open_page(viewer.render(Graph()))
    assert p.js("kgViewer.network.body.nodeIndices.length") == 0
    assert p.page.locator("#status").inner_text().startswith("显示 Showing 0 / 0")
    p.clean()


def test_a_focused_page_opens_on_its_entity(open_page: Any) -> None:
    from test_viewer import hub_graph

    p = open_page(viewer.render(hub_graph(4), focus="项目1"))
    assert p.js("kgViewer.network.body.nodeIndices.length") == 4
    assert p.page.locator("#panel h2").inner_text() == "项目1"
    assert p.page.locator("#counts").inner_text() == "4 / 6 实体 entities · 5 关系 relations"
    p = open_page(viewer.render(hub_graph(4), focus="别名2", depth=0))  # by an alias
    assert p.page.locator("#panel h2").inner_text() == "项目2"
    p.clean()
