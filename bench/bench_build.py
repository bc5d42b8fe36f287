"""Benchmark of ``kg build``: characters per second against bare jieba, parallel speed-up, random kills.

On ``../shared/corpus/news-2025.jsonl`` repeated to a few MB (each copy with its own document
ids, texts unchanged, the cache off, so every copy is extracted again), in one run:

- ``jieba.lcut``: characters per second of plain jieba over the same document texts (after
  jieba has loaded its dictionary);
- ``kg build``: characters per second of the whole build, from the JSON Lines file to
  ``graph.ttl`` (reading, extraction, RDF, Turtle, the atomic write; no HTML viewer), with
  ``--jobs 1`` (one core) and each further ``--jobs`` value, and the speed-up over ``--jobs 1``;
- each measurement in a process of its own, as ``kg build`` runs: the process starts, makes its
  extractor (or loads jieba's dictionary), then the build (or ``jieba.lcut``) is timed. Builds
  timed back to back in one process (``--in-process``, how this bench measured until it was
  found) are not what a user runs: each reuses the memory the previous one freed. With
  ``--jobs 1`` that spares it most of the page faults a new process takes for its memory (on
  3.9 MB, 6,000 against 32,000); with ``--jobs 2`` that memory is shared with the forked
  worker, so it is copied page by page as the build writes (32,000 faults, as many as in a
  process of its own, but in two to five times the system time of ``--jobs 1`` in one process);
- the ratio ``kg build`` / ``jieba.lcut`` (the target is at least 1.0), and whether every
  ``--jobs`` value wrote the same bytes;
- every round, and the ratios within each round with their median: the rounds interleave the
  measurements, so a ratio within a round is spared the machine's slow and fast spells, which
  the best of each measurement (the headline figures) is not.

With ``--kills N``, it then starts ``python -m kg build`` N times into a folder holding a previous
build, kills it (SIGKILL, or SIGTERM/SIGINT one time in four) at a random moment, and checks that
every output file is byte-identical to either the previous or the new complete output and that the
next build leaves no temporary file. ``--profile`` prints the top of a cProfile of one build.

Usage::

    python bench/bench_build.py                    # 3 MB, --jobs 1 and 2
    python bench/bench_build.py --mb 5 --jobs 1 2 --repeat 3 --kills 100
    python bench/bench_build.py --in-process       # the builds back to back in this process
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kg import ingest, parallel, pipeline

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "news-2025.jsonl"


def repeated_corpus(source: Path, target_bytes: int, folder: Path) -> Path:
    """``source`` repeated until it holds ``target_bytes``, document ids made unique per copy."""
    lines = [json.loads(line) for line in source.read_text("utf-8").splitlines() if line.strip()]
    out = folder / "corpus.jsonl"
    size, copy = 0, 0
    with out.open("w", encoding="utf-8") as f:
        while size < target_bytes:
            for obj in lines:
                row = json.dumps({**obj, "id": f"{obj.get('id', 'doc')}-c{copy}"}, ensure_ascii=False) + "\n"
                f.write(row)
                size += len(row.encode("utf-8"))
            copy += 1
    return out


def bench_jieba(texts: list[str]) -> float:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    start = time.perf_counter()
    for text in texts:
        jieba.lcut(text)
    return time.perf_counter() - start


def _burn(n: int) -> float:
    start = time.perf_counter()
    x = 0
    for i in range(n):
        x += i * i
    return time.perf_counter() - start


def cpu_scaling(jobs: int, n: int = 4_000_000) -> float:
    """How much faster ``jobs`` processes do ``jobs`` pieces of pure Python work than one process: the ceiling for --jobs."""
    import multiprocessing

    one = _burn(n)
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        pool.map(_burn, [1000] * jobs)  # started
        start = time.perf_counter()
        pool.map(_burn, [n] * jobs)
        return jobs * one / (time.perf_counter() - start)


def work_scaling(docs: list[ingest.Document], jobs: int) -> tuple[float, float]:
    """kg's own per-document work on ``docs``: seconds in this process alone, and with the documents
    dealt over ``jobs`` forked processes working at once (nothing sent between them, no reading,
    no merge). The ratio is the ceiling for ``--jobs`` on this machine for this work, contention
    between the cores included, which a pure Python loop (``cpu_scaling``) does not show."""
    import multiprocessing

    settings = parallel.Settings()
    parallel._warm(settings)
    start = time.perf_counter()
    parallel.work(settings, docs)
    alone = time.perf_counter() - start
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Barrier(jobs + 1)

    def run(part: list[ingest.Document]) -> None:
        ready.wait()
        parallel.work(settings, part)

    procs = [ctx.Process(target=run, args=(docs[i::jobs],)) for i in range(jobs)]
    for proc in procs:
        proc.start()
    ready.wait()
    start = time.perf_counter()
    for proc in procs:
        proc.join()
    return alone, time.perf_counter() - start


def core_speeds(n: int = 4_000_000) -> dict[int, float]:
    """Seconds of the same pure Python work on each core alone (this process pinned to it): on a
    shared virtual machine the cores can differ a lot, which bounds what --jobs can gain."""
    if not hasattr(os, "sched_setaffinity"):
        return {}
    allowed = os.sched_getaffinity(0)
    out = {}
    try:
        for core in sorted(allowed):
            os.sched_setaffinity(0, {core})
            out[core] = _burn(n)
    finally:
        os.sched_setaffinity(0, allowed)
    return out


def bench_build(corpus: Path, out: Path, jobs: int) -> float:
    """Seconds of one build of ``corpus`` into ``out`` in this process (its extractor made first)."""
    parallel._warm(parallel.Settings())
    start = time.perf_counter()
    pipeline.build([corpus], out=out, formats=("ttl",), html=False, cache=False, jobs=jobs)
    return time.perf_counter() - start


def measure(what: str, corpus: Path, out: Path, *, fresh: bool) -> float:
    """Seconds of ``what`` ("jieba" or "jobsN") on ``corpus``; with ``fresh``, in a new process."""
    if fresh:
        cmd = [sys.executable, __file__, "--measure", what, "--corpus", str(corpus), "--out", str(out)]
        return float(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    if what == "jieba":
        return bench_jieba([d.text for d in documents(corpus)])
    return bench_build(corpus, out, int(what.removeprefix("jobs")))


def documents(corpus: Path) -> list[ingest.Document]:
    """The documents of ``corpus`` as kg reads them."""
    return [d for d in ingest.read_inputs([corpus]) if isinstance(d, ingest.Document)]


def kills(n: int, folder: Path, seed: int = 1) -> tuple[int, int]:
    """Kill ``n`` builds at random moments; return (kills, outputs found damaged or lost)."""
    rng = random.Random(seed)
    folder.mkdir()
    docs = [line for line in CORPUS.read_text("utf-8").splitlines() if line.strip()]
    old_in, new_in = folder / "old.jsonl", folder / "new.jsonl"
    old_in.write_text("\n".join(docs[:30]) + "\n", "utf-8")
    new_in.write_text("\n".join(docs[30:70]) + "\n", "utf-8")
    # the builds run a copy of kg's code and data taken now, so edits made meanwhile change nothing
    code = folder / "code"
    for part in ("src", "ontology"):
        shutil.copytree(ROOT / part, code / part)
    env = {**os.environ, "PYTHONPATH": str(code / "src")}
    cmd = [sys.executable, "-m", "kg", "build", "--no-html", "--format", "nt", "--out"]
    names = ("graph.ttl", "graph.nt")
    ref_old, ref_new = folder / "ref-old", folder / "ref-new"
    subprocess.run([*cmd, str(ref_old), str(old_in)], check=True, capture_output=True, env=env)
    start = time.perf_counter()
    subprocess.run([*cmd, str(ref_new), str(new_in), "--no-cache"], check=True, capture_output=True, env=env)
    duration = time.perf_counter() - start
    old = {n: (ref_old / n).read_bytes() for n in names}
    new = {n: (ref_new / n).read_bytes() for n in names}
    bad = 0
    landed = {"old": 0, "new": 0, "mixed": 0}
    for i in range(n):
        out = folder / f"k{i}"
        shutil.copytree(ref_old, out)
        proc = subprocess.Popen([*cmd, str(out), str(new_in), *(["--jobs", "2"] if i % 3 == 2 else [])],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)  # fmt: skip
        # half of the kills fall late, where the outputs are written
        time.sleep(rng.uniform(0, duration) if i % 2 else rng.uniform(0.6 * duration, 1.1 * duration))
        proc.send_signal(rng.choice([signal.SIGKILL, signal.SIGKILL, signal.SIGKILL, signal.SIGTERM, signal.SIGINT]))
        proc.wait()
        now = {name: (out / name).read_bytes() for name in names}
        landed["new" if now == new else "old" if now == old else "mixed"] += 1
        for name in names:
            if now[name] not in (old[name], new[name]):
                bad += 1
                print(f"  kill {i}: {name} is neither the old nor the new output", file=sys.stderr)
        subprocess.run([*cmd, str(out), str(old_in)], check=True, capture_output=True, env=env)  # the next build cleans up
        left = [p.name for p in out.rglob("*.tmp")]
        if left or any((out / name).read_bytes() != old[name] for name in names):
            bad += 1
            print(f"  kill {i}: after the next build: temporary files {left} or wrong output", file=sys.stderr)
        shutil.rmtree(out)
    old_, new_, mixed = landed["old"], landed["new"], landed["mixed"]
    print(f"  outputs after the kills: {old_} old, {new_} new, {mixed} with one file new (killed between the renames)")
    return n, bad


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", type=Path, default=CORPUS)
    p.add_argument("--mb", type=float, default=3.0, help="size of the repeated corpus in MB (default 3)")
    p.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    p.add_argument("--repeat", type=int, default=1, help="run each measurement this many times, keep the best (default 1)")
    p.add_argument("--kills", type=int, default=0, help="also kill this many builds at random moments")
    p.add_argument("--profile", action="store_true", help="print the top of a cProfile of one --jobs 1 build")
    p.add_argument("--in-process", action="store_true", help="time the builds back to back in this process")
    p.add_argument("--measure", help=argparse.SUPPRESS)  # one measurement, in the process running the bench
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.measure:
        print(measure(args.measure, args.corpus, args.out, fresh=False))
        return 0
    if not args.corpus.is_file():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        corpus = repeated_corpus(args.corpus, int(args.mb * 1e6), folder)
        docs = documents(corpus)
        texts = [d.text for d in docs]
        chars = sum(len(t) for t in texts)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"corpus: {corpus.stat().st_size / 1e6:.1f} MB, {len(texts)} documents, {chars:,} characters")
        print(f"machine: {os.cpu_count()} cores, load average {load} before the run (other work skews the figures)")
        # rounds of every measurement in turn, so a busy spell of the machine hits them alike
        jobs_list = list(dict.fromkeys([1, *args.jobs]))
        rounds: dict[str, list[float]] = {"jieba": [], **{f"jobs{j}": [] for j in jobs_list}}
        where = "back to back in this process" if args.in_process else "each in a process of its own"
        print(f"measurements: {where}")
        for _ in range(args.repeat):
            for what in rounds:
                rounds[what].append(measure(what, corpus, folder / f"out-{what}", fresh=not args.in_process))
        outputs = {jobs: (folder / f"out-jobs{jobs}" / "graph.ttl").read_bytes() for jobs in jobs_list}
        t_jieba = min(rounds["jieba"])
        times = {jobs: min(rounds[f"jobs{jobs}"]) for jobs in jobs_list}
        print(f"jieba.lcut           {t_jieba:7.2f} s  {chars / t_jieba:>10,.0f} chars/s")
        for jobs in jobs_list:
            ceiling = f" (bare CPU work scales x{cpu_scaling(jobs):.2f} here now)" if jobs != 1 else ""
            speedup = f"  x{times[1] / times[jobs]:.2f} over --jobs 1{ceiling}" if jobs != 1 else ""
            print(f"kg build --jobs {jobs:<3} {times[jobs]:7.2f} s  {chars / times[jobs]:>10,.0f} chars/s{speedup}")
        for name, values in rounds.items():
            print(f"  rounds {name:6s} " + " ".join(f"{v:.2f}" for v in values) + " s")
        per_round = [j / k for j, k in zip(rounds["jieba"], rounds["jobs1"], strict=True)]
        print("  ratio kg build / jieba.lcut per round: " + " ".join(f"{r:.2f}" for r in per_round)
              + f"  (median {statistics.median(per_round):.2f})")
        for jobs in jobs_list[1:]:
            ups = [a / b for a, b in zip(rounds["jobs1"], rounds[f"jobs{jobs}"], strict=True)]
            print(f"  --jobs {jobs} over --jobs 1 per round: " + " ".join(f"x{u:.2f}" for u in ups)
                  + f"  (median x{statistics.median(ups):.2f})")
        for jobs in jobs_list[1:]:
            tries = [work_scaling(docs, jobs) for _ in range(2)]
            ceilings = " ".join(f"x{alone / together:.2f}" for alone, together in tries)
            print(f"  kg's own work in {jobs} processes at once, nothing sent between them (the ceiling): {ceilings}")
        speeds = core_speeds()
        if speeds:
            each = ", ".join(f"core {c} {t:.2f} s" for c, t in speeds.items())
            print(f"  the same pure Python work on each core alone: {each}")
        print(f"ratio kg build (--jobs 1) / jieba.lcut: {t_jieba / times[1]:.2f}   (target >= 1.0)")
        same = len(set(outputs.values())) == 1
        print(f"graph.ttl identical for every --jobs: {'yes' if same else 'NO'}")
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.runcall(pipeline.build, [corpus], out=folder / "prof", html=False, cache=False)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        if args.kills:
            n, bad = kills(args.kills, folder / "kills")
            print(f"random kills: {n}, outputs damaged or lost: {bad}")
            return 1 if bad or not same else 0
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
