"""The build benchmark runs end to end: each measurement in a process of its own (or, asked for, back
to back in the bench's process), and every --jobs value writes the same Turtle.

Its figures are not asserted (timings belong in the bench's output, not in tests); what is checked
is that the bench measures what it says on real text and reports every line it promises.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO


@pytest.fixture(scope="module")
def small_news(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 20 records of the shared news corpus."""
    lines = (shared / "corpus" / "news-2025.jsonl").read_text("utf-8").splitlines()[:20]
    path = tmp_path_factory.mktemp("bench") / "news.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


@pytest.mark.parametrize("mode", [[], ["--in-process"]], ids=["own-process", "in-process"])
def test_bench_build_reports_every_figure(small_news: Path, mode: list[str]) -> None:
    cmd = [sys.executable, str(REPO / "bench" / "bench_build.py"), "--corpus", str(small_news), "--mb", "0.04",
           "--repeat", "2", "--jobs", "1", "2", *mode]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    out = run.stdout
    where = "back to back in this process" if mode else "each in a process of its own"
    assert f"measurements: {where}" in out
    for name in ("jieba.lcut", "kg build --jobs 1", "kg build --jobs 2"):
        assert re.search(rf"^{re.escape(name)} +[0-9.]+ s +[0-9,]+ chars/s", out, re.M), out
    assert re.search(r"^  rounds jobs2 +[0-9.]+ [0-9.]+ s$", out, re.M), out  # two rounds
    assert re.search(r"--jobs 2 over --jobs 1 per round: x[0-9.]+ x[0-9.]+ +\(median x[0-9.]+\)", out), out
    assert re.search(r"^ratio kg build \(--jobs 1\) / jieba\.lcut: [0-9.]+", out, re.M), out
    assert "graph.ttl identical for every --jobs: yes" in out
