"""Nothing lost: outputs are replaced whole or not at all, builds into one folder take turns, and a
build killed at any moment leaves the previous output as it was (tests kill real processes)."""

from __future__ import annotations

import fcntl
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg import parallel, pipeline, rdf

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "hexi-youth-league-2024.txt"
OLD = "天津市妇联深化“巾帼建功”行动，打造“津门巧娘”品牌。\n坚持党的领导，服务妇女群众。\n"
NAMES = ("graph.ttl", "graph.nt")
BUILD = [sys.executable, "-m", "kg", "build", "--no-html", "--format", "nt", "--out"]


def files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in NAMES}


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.tmp"))


def test_write_all_failing_midway_keeps_every_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / name).write_bytes(b"old " + name.encode())
    staged = []
    real = rdf._stage

    def stage(path: Path, data: bytes) -> str:
        if staged:
            raise OSError(28, "No space left on device")
        staged.append(path)
        return real(path, data)

    monkeypatch.setattr(rdf, "_stage", stage)
    with pytest.raises(OSError):
        rdf.write_all({tmp_path / n: b"new" for n in ("a", "b", "c")})
    assert {n: (tmp_path / n).read_bytes() for n in "abc"} == {n: b"old " + n.encode() for n in "abc"}
    assert temporaries(tmp_path) == []


def test_a_failed_build_leaves_the_previous_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "old.txt").write_text(OLD, "utf-8")
    out = tmp_path / "out"
    pipeline.build([tmp_path / "old.txt"], out=out, formats=NAMES_FMT, html=False)
    before = files(out)
    real = rdf.encode

    def encode(triples: rdf.Triples, fmt: str) -> bytes:
        if fmt == "nt":
            raise MemoryError("simulated")
        return real(triples, fmt)

    monkeypatch.setattr(rdf, "encode", encode)
    with pytest.raises(MemoryError):
        pipeline.build([EXAMPLE], out=out, formats=NAMES_FMT, html=False)
    assert files(out) == before and temporaries(out) == []


NAMES_FMT = ("ttl", "nt")


def test_stale_temporary_files_are_removed_when_a_build_starts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / parallel.CACHE_DIR).mkdir(parents=True)
    for stale in (out / ".graph.ttl.k2j3h4.tmp", out / ".graph.nt.x.tmp", out / parallel.CACHE_DIR / ".abc.json.123.tmp"):
        stale.write_bytes(b"half")
    (out / "notes.tmp").write_bytes(b"not ours")
    (tmp_path / "old.txt").write_text(OLD, "utf-8")
    pipeline.build([tmp_path / "old.txt"], out=out, formats=NAMES_FMT, html=False)
    assert temporaries(out) == ["notes.tmp"]


def test_a_second_build_waits_for_the_lock(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text(OLD, "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out / pipeline.LOCK_FILE, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        proc = subprocess.Popen([*BUILD, str(out), str(tmp_path / "old.txt")], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        ready, _, _ = select.select([proc.stderr], [], [], 60)
        assert ready, "the build neither waited nor finished"
        assert b"waiting for another build" in proc.stderr.readline()
        time.sleep(0.3)
        assert proc.poll() is None and not (out / "graph.ttl").exists()
    finally:
        os.close(fd)
    proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert (out / "graph.ttl").is_file()


def test_concurrent_builds_into_one_folder_take_turns(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text(OLD, "utf-8")
    out = tmp_path / "out"
    procs = [subprocess.Popen([*BUILD, str(out), str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for path in (tmp_path / "old.txt", EXAMPLE, tmp_path / "old.txt")]  # fmt: skip
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    alone = tmp_path / "alone"
    pipeline.build([tmp_path / "old.txt"], out=alone, formats=NAMES_FMT, html=False)
    example = tmp_path / "example"
    pipeline.build([EXAMPLE], out=example, formats=NAMES_FMT, html=False)
    assert files(out) in (files(alone), files(example))
    assert temporaries(out) == []


def test_random_kills_never_damage_the_previous_output(tmp_path: Path) -> None:
    """Ten real ``kg build`` processes killed at random moments (SIGKILL, SIGTERM or SIGINT)."""
    rng = random.Random(6)
    (tmp_path / "old.txt").write_text(OLD, "utf-8")
    old_out, new_out = tmp_path / "old", tmp_path / "new"
    pipeline.build([tmp_path / "old.txt"], out=old_out, formats=NAMES_FMT, html=False)
    start = time.perf_counter()
    subprocess.run([*BUILD, str(new_out), str(EXAMPLE), "--no-cache"], check=True, capture_output=True, timeout=120)
    duration = time.perf_counter() - start
    old, new = files(old_out), files(new_out)
    assert old != new
    outcomes = []
    for i in range(10):
        out = tmp_path / f"kill{i}"
        shutil.copytree(old_out, out)
        proc = subprocess.Popen([*BUILD, str(out), str(EXAMPLE)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # half of the kills fall late, where the outputs are written
        time.sleep(rng.uniform(0, duration) if i % 2 else rng.uniform(0.6 * duration, 1.1 * duration))
        proc.send_signal(rng.choice([signal.SIGKILL, signal.SIGKILL, signal.SIGTERM, signal.SIGINT]))
        proc.wait(timeout=60)
        now = files(out)
        assert all(now[n] in (old[n], new[n]) for n in NAMES), f"kill {i}: an output is neither the old nor the new one"
        outcomes.append("new" if now == new else "old" if now == old else "mixed")
        pipeline.build([tmp_path / "old.txt"], out=out, formats=NAMES_FMT, html=False)  # the next build cleans up
        assert files(out) == old and temporaries(out) == [], f"kill {i}"
    assert "old" in outcomes  # some kills did land before the outputs were replaced
