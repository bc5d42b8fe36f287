"""Parallel, distributed and incremental builds give the bytes of a serial, full build."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg import parallel, pipeline

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXAMPLE = ROOT / "examples" / "hexi-youth-league-2024.txt"
TEXTS = {
    "a.txt": "天津市妇联深化“巾帼建功”行动，打造“津门巧娘”品牌。\n坚持党的领导，服务妇女群众。\n",
    "b.txt": "共青团中央实施“青年大学习”行动，服务青年成长。\n团中央坚持全心全意为青年服务。\n",
    "c.txt": "市妇联开展“春蕾计划”活动，关爱困难妇女儿童。\n市妇联与团市委合作开展“巾帼建功”行动。\n",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of some twenty documents: the bundled example, the small texts, news items if there."""
    folder = tmp_path_factory.mktemp("corpus")
    for name, text in TEXTS.items():
        (folder / name).write_text(text, "utf-8")
    (folder / EXAMPLE.name).write_bytes(EXAMPLE.read_bytes())
    news = SHARED / "corpus" / "news-2025.jsonl"
    if news.is_file():
        (folder / "news.jsonl").write_text("\n".join(news.read_text("utf-8").splitlines()[:16]) + "\n", "utf-8")
    return folder


def outputs(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in ("graph.ttl", "graph.nt", "graph.jsonld")}


@pytest.fixture(scope="module")
def serial(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("serial")
    pipeline.build([corpus], out=out, formats=("ttl", "nt", "jsonld"), html=False, cache=False)
    return outputs(out)


def test_jobs_give_the_bytes_of_a_serial_build(corpus: Path, serial: dict[str, bytes], tmp_path: Path) -> None:
    result = pipeline.build([corpus], out=tmp_path, formats=("ttl", "nt", "jsonld"), html=False, cache=False, jobs=2)
    assert outputs(tmp_path) == serial
    from kg import ingest

    assert [dg.document.id for dg in result.documents] == [
        d.id for d in ingest.read_inputs([corpus]) if isinstance(d, ingest.Document)
    ]
    assert all(dg.document.text for dg in result.documents)  # the texts a worker left out are put back


def test_batches_spread_small_inputs_over_the_workers(corpus: Path) -> None:
    from kg import ingest

    docs = [d for d in ingest.read_inputs([corpus]) if isinstance(d, ingest.Document)]
    batches = parallel._batches(docs, range(len(docs)), parallel.batch_size(docs, 2))
    assert len(batches) >= 2
    assert [i for b in batches for i in b] == list(range(len(docs)))


def test_guided_batches_shrink_as_the_work_runs_out() -> None:
    """Both ends are taken, each document once; batches start at BATCH_CHARS and end with single
    documents, so no process is left with a long batch when the others are done."""
    from kg.model import Document

    docs = [Document(id=str(i), text="字" * (50 + i % 7 * 30)) for i in range(2000)]
    left = parallel.Guided(docs, range(len(docs)), jobs=2)
    sizes, taken = [], []
    front = True
    while left:
        batch = left.take(front=front)
        assert batch == sorted(batch)
        taken += batch
        sizes.append(sum(len(docs[i].text) for i in batch))
        front = not front
    assert sorted(taken) == list(range(len(docs)))
    longest = max(len(d.text) for d in docs)
    assert parallel.BATCH_CHARS - longest < sizes[0] <= parallel.BATCH_CHARS
    assert all(a + longest >= b for a, b in zip(sizes, sizes[1:], strict=False))  # never larger (but for one document)
    assert sizes[-4:] == [len(docs[i].text) for i in taken[-4:]]  # one document each


def test_a_workers_graphs_are_unpacked_only_when_asked_for(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unpacked = []
    unpack = parallel.Packed.unpack
    monkeypatch.setattr(parallel.Packed, "unpack", lambda self: unpacked.append(1) or unpack(self))
    result = pipeline.build([corpus], out=tmp_path, html=False, cache=False, jobs=2)
    serial = pipeline.build([corpus], html=False, cache=False)
    assert unpacked == [] and len(result.documents) == len(serial.documents)
    assert list(result.documents) == list(serial.documents)
    n = len(unpacked)
    assert 0 < n < len(serial.documents)  # the worker's, not this process's
    assert result.documents[::-1] == serial.documents[::-1] and len(unpacked) == n  # each unpacked once


def test_what_a_worker_sends_back_unpickles_as_it_was(corpus: Path) -> None:
    """The records pickle as calls with their fields' values (model._pickled_as_call)."""
    import pickle

    from kg import ingest

    docs = [d for d in ingest.read_inputs([corpus]) if isinstance(d, ingest.Document)]
    outcomes = parallel.work(parallel.Settings(), docs)
    assert sum(len(e.mentions) for dg, _ in outcomes for e in dg.entities) > 20
    back = pickle.loads(pickle.dumps(outcomes, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == outcomes
    assert [type(m) for dg, _ in back for e in dg.entities for m in e.mentions] == [
        type(m) for dg, _ in outcomes for e in dg.entities for m in e.mentions
    ]


def test_a_packed_graph_is_the_json_of_its_records_and_unpacks_as_it_was(corpus: Path) -> None:
    """Packing writes what ``json.dumps`` would (by orjson, or by ``json`` where orjson refuses the
    value: a lone surrogate, an integer over 64 bits), and unpacking gives the graph back."""
    from kg import ingest

    def as_json(value: object) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")

    docs = [d for d in ingest.read_inputs([corpus]) if isinstance(d, ingest.Document)]
    for dg, _ in parallel.work(parallel.Settings(), docs):
        packed = parallel.Packed.of(dg)
        assert packed.data == as_json(parallel._graph_to_json(dg))
        assert parallel.Packed(packed.data, dg.document).unpack() == dg
    for odd in (["春\ud800蕾", 0.85], [2**70, "妇联"]):
        assert parallel._json_bytes(odd) == as_json(odd)
        assert json.loads(parallel._json_bytes(odd).decode("utf-8", "surrogatepass")) == odd


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "spawned"])
def test_this_process_and_the_workers_share_the_batches(corpus: Path, fork: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """--jobs 2 is this process and one worker (forked from it, or spawned where forking is not
    safe): each batch is done once, some by each of them, with the serial results."""
    from kg import ingest

    if fork and not parallel._can_fork():
        pytest.skip("forking is not safe here (another thread runs, or not Linux)")
    monkeypatch.setattr(parallel, "_can_fork", lambda: fork)
    import dataclasses

    read = [d for d in ingest.read_inputs([corpus]) if isinstance(d, ingest.Document)]
    # more batches than the workers queue (4 each), so this process takes some
    docs = [dataclasses.replace(d, id=f"{d.id}-{k}") for k in range(3) for d in read]
    settings = parallel.Settings.make()
    with parallel.Workers(2, settings) as workers:
        done = list(workers.share(settings, docs, range(len(docs))))
    assert sorted(i for b, _ in done for i in b) == list(range(len(docs)))
    by_worker = {i for b, outcomes in done for i, (dg, _) in zip(b, outcomes, strict=True) if isinstance(dg, parallel.Packed)}
    assert by_worker and len(by_worker) < len(docs)  # a worker's graphs come packed, this process's not
    serial = parallel.work(settings, docs)
    for b, outcomes in done:
        for i, (dg, triples) in zip(b, outcomes, strict=True):
            assert triples == serial[i][1]
            if isinstance(dg, parallel.Packed):
                assert parallel.Packed(dg.data, docs[i]).unpack() == serial[i][0]


def test_the_workers_start_while_the_inputs_are_read(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading slow inputs (PDFs, say) and extracting overlap: a worker's results come back before
    the last document is read, and every document is done once, as in a serial build."""
    import time

    from kg import ingest

    read = [d for d in ingest.read_inputs([corpus]) if isinstance(d, ingest.Document)]
    monkeypatch.setattr(parallel, "BATCH_CHARS", min(len(d.text) for d in read))  # a document fills a batch
    docs: list[ingest.Document] = []
    events: list[str] = []

    def reading() -> Iterator[int]:
        for doc in read:
            time.sleep(0.05)
            docs.append(doc)
            yield len(docs) - 1
        events.append("all read")

    settings = parallel.Settings.make()
    with parallel.Workers(2, settings) as workers:
        done = []
        for b, outcomes in workers.share(settings, docs, reading()):
            done.append((b, outcomes))
            events += ["worker" if isinstance(dg, parallel.Packed) else "here" for dg, _ in outcomes]
    assert "worker" in events[: events.index("all read")]
    serial = parallel.work(settings, read)
    assert sorted(i for b, _ in done for i in b) == list(range(len(read)))
    for b, outcomes in done:
        for i, (_, triples) in zip(b, outcomes, strict=True):
            assert triples == serial[i][1]


def test_cli_jobs_and_no_cache(corpus: Path, serial: dict[str, bytes], tmp_path: Path) -> None:
    args = [sys.executable, "-m", "kg", "build", str(corpus), "--out", str(tmp_path), "--format", "nt", "--format", "jsonld"]
    done = subprocess.run([*args, "--jobs", "2", "--no-html", "--no-cache"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert outputs(tmp_path) == serial
    assert done.stderr == ""  # no progress bar when stderr is not a terminal
    assert not (tmp_path / parallel.CACHE_DIR).exists()


def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TEXTS["a.txt"], "utf-8")
    master, slave = pty.openpty()
    args = [sys.executable, "-m", "kg", "build", str(tmp_path / "a.txt"), "--out", str(tmp_path / "out"), "--no-html"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0
    text = seen.decode("utf-8", "replace")
    assert "1/1" in text and "doc" in text and "chars/s" in text, text


def test_dask_cluster_gives_the_bytes_of_a_serial_build(corpus: Path, serial: dict[str, bytes], tmp_path: Path) -> None:
    distributed = pytest.importorskip("dask.distributed", reason="dask.distributed is not installed (pip install 'kg[dask]')")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        pipeline.build(
            [corpus], out=tmp_path, formats=("ttl", "nt", "jsonld"), html=False, cache=False, scheduler=cluster.scheduler_address
        )
    assert outputs(tmp_path) == serial


def test_unreachable_scheduler_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed", reason="dask.distributed is not installed")
    (tmp_path / "a.txt").write_text(TEXTS["a.txt"], "utf-8")
    args = [
        sys.executable,
        "-m",
        "kg",
        "build",
        str(tmp_path / "a.txt"),
        "--out",
        str(tmp_path / "out"),
        "--scheduler",
        "tcp://127.0.0.1:9",
    ]
    done = subprocess.run(
        [*args, "--no-html"], capture_output=True, text=True, timeout=120, env={**os.environ, "KG_DASK_TIMEOUT": "2s"}
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "scheduler" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


# --------------------------------------------------------------------------- incremental


def test_changing_one_document_re_extracts_only_it(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, text in TEXTS.items():
        (folder / name).write_text(text, "utf-8")
    out = tmp_path / "out"
    first = pipeline.build([folder], out=out, formats=("ttl", "nt"), html=False)
    assert first.reused == 0
    (folder / "b.txt").write_text(TEXTS["b.txt"] + "团中央实施“青年马克思主义者培养工程”。\n", "utf-8")

    extracted: list[str] = []
    original = pipeline.Extractor.extract

    def spy(self: pipeline.Extractor, doc: object, **kw: object) -> object:
        extracted.append(doc.id)  # type: ignore[attr-defined]
        return original(self, doc, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline.Extractor, "extract", spy)
    second = pipeline.build([folder], out=out, formats=("ttl", "nt"), html=False)
    assert extracted == ["b"] and second.reused == 2
    full = pipeline.build([folder], out=tmp_path / "full", formats=("ttl", "nt"), html=False, cache=False)
    assert outputs_of(out) == outputs_of(tmp_path / "full")
    assert [dg for dg in second.documents] == [dg for dg in full.documents]
    assert len(list((out / parallel.CACHE_DIR).iterdir())) == 3  # the entry of the old b.txt is gone


def outputs_of(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in ("graph.ttl", "graph.nt")}


def test_cache_is_keyed_by_the_lexicon_and_options(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TEXTS["a.txt"], "utf-8")
    lexicon = tmp_path / "user.tsv"
    lexicon.write_text("津门巧娘\tProgramme\t\t\ttest\n", "utf-8")
    out = tmp_path / "out"
    assert pipeline.build([tmp_path / "a.txt"], out=out, html=False).reused == 0
    assert pipeline.build([tmp_path / "a.txt"], out=out, html=False).reused == 1
    assert pipeline.build([tmp_path / "a.txt"], out=out, html=False, lexicon_files=[lexicon]).reused == 0
    assert pipeline.build([tmp_path / "a.txt"], out=out, html=False, lexicon_files=[lexicon]).reused == 1
    lexicon.write_text("津门巧娘\tOrganization\t\t\ttest\n", "utf-8")
    changed = pipeline.build([tmp_path / "a.txt"], out=out, html=False, lexicon_files=[lexicon])
    assert changed.reused == 0
    # the new lexicon, not one cached from the build before
    assert {e.label: e.cls for e in changed.documents[0].entities}["津门巧娘"] == "Organization"
    assert pipeline.build([tmp_path / "a.txt"], out=out, html=False, min_confidence=0.5).reused == 0


def test_a_damaged_cache_entry_is_extracted_again(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TEXTS["a.txt"], "utf-8")
    out = tmp_path / "out"
    pipeline.build([tmp_path / "a.txt"], out=out, formats=("nt",), html=False)
    before = (out / "graph.nt").read_bytes()
    (entry,) = (out / parallel.CACHE_DIR).iterdir()
    good = entry.read_bytes()
    check, head, graph, entries = good.split(b"\n", 3)
    damaged = [
        json.dumps({"graph": {"entities": [[1]]}}).encode(),  # not an entry at all
        good[: len(good) // 2],  # cut short
        b"\n".join([check, head, graph.replace("巾帼建功".encode(), "巾帼建工".encode()), entries]),  # a changed label
        b"\n".join([check, head, graph, entries.replace(b"\0", b"", 1)]),  # two entries run together
        b"\n".join([check, head.replace(b'"0.', b'"1.', 1), graph, entries]),  # a changed confidence
    ]
    for data in damaged:
        assert data != good
        entry.write_bytes(data)
        again = pipeline.build([tmp_path / "a.txt"], out=out, formats=("nt",), html=False)
        assert again.reused == 0 and (out / "graph.nt").read_bytes() == before
        assert "巾帼建功" in {e.label for e in again.documents[0].entities}
    assert entry.read_bytes() == good  # written again
    assert pipeline.build([tmp_path / "a.txt"], out=out, formats=("nt",), html=False).reused == 1


def test_records_moved_in_a_jsonl_file_are_reused(tmp_path: Path) -> None:
    rows = [json.dumps({"id": name, "text": text}, ensure_ascii=False) for name, text in TEXTS.items()]
    corpus = tmp_path / "news.jsonl"
    corpus.write_text("\n".join(rows[1:]) + "\n", "utf-8")
    out = tmp_path / "out"
    pipeline.build([corpus], out=out, formats=("nt",), html=False)
    corpus.write_text("\n".join(rows) + "\n", "utf-8")  # a new first record: the others move down a line
    again = pipeline.build([corpus], out=out, formats=("nt",), html=False)
    assert again.reused == 2
    assert [dg.document.path for dg in again.documents] == [f"{corpus}:{n}" for n in (1, 2, 3)]
    pipeline.build([corpus], out=tmp_path / "full", formats=("nt",), html=False, cache=False)
    assert (out / "graph.nt").read_bytes() == (tmp_path / "full" / "graph.nt").read_bytes()


def test_a_build_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path) -> None:
    """The outputs are made with the heap frozen out of collections; a host's frozen objects stay frozen."""
    import gc

    (tmp_path / "a.txt").write_text(TEXTS["a.txt"], "utf-8")
    (tmp_path / "b.txt").write_text(TEXTS["b.txt"], "utf-8")
    for jobs in (1, 2):
        pipeline.build([tmp_path / "a.txt", tmp_path / "b.txt"], out=tmp_path / "out", jobs=jobs)
        assert gc.get_freeze_count() == 0
    with pytest.raises(ValueError), parallel.heap_frozen():
        assert gc.get_freeze_count() > 0
        raise ValueError("a build that fails")
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        pipeline.build([tmp_path / "a.txt"], out=tmp_path / "out")
        assert 0 < gc.get_freeze_count() <= frozen  # (some frozen objects may be freed meanwhile)
    finally:
        gc.unfreeze()


def test_the_outcomes_are_left_out_of_collections_as_they_arrive(corpus: Path) -> None:
    """A build keeps every document's graph to the end: full collections walked them all, again and
    again as they grew (a tenth of a second in a 3 s build of 1,884 news documents). ``run`` freezes
    them batch by batch; blocks nest, and only the outermost one unfreezes."""
    import gc

    from kg import ingest

    docs = [d for d in ingest.read_inputs([corpus]) if isinstance(d, ingest.Document)]
    with parallel.heap_frozen():
        outcomes = parallel.run(docs, parallel.Settings())
        assert gc.get_freeze_count() > 0  # the inner block (run's) left ours frozen
        tracked = {id(o) for o in gc.get_objects()}
        assert len(outcomes) == len(docs) > 3
        assert not any(id(dg) in tracked or id(t.entries) in tracked for dg, t in outcomes)
    assert gc.get_freeze_count() == 0
    assert {id(dg) for dg, _ in outcomes} <= {id(o) for o in gc.get_objects()}  # collected as usual again


def test_workers_that_cannot_start_leave_the_collector_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fork refused (no memory, a process limit) raises, and the heap is not left frozen."""
    import gc
    import multiprocessing.context

    def refused(*args: object, **kwargs: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.context.BaseContext, "Pool", refused)
    monkeypatch.setattr(parallel, "_can_fork", lambda: True)  # (nothing is forked: the pool is refused)
    workers = parallel.Workers(2, parallel.Settings())  # (they are forked when a batch is first sent)
    with pytest.raises(OSError) as refusal:
        workers._start(parallel.Settings())
    assert refusal.traceback  # (it holds the Workers object: nothing is left to its finalizer)
    assert gc.get_freeze_count() == 0 and parallel._freezing == 0


def test_extraction_and_the_build_leave_no_reference_cycles(corpus: Path, tmp_path: Path) -> None:
    """What heap_frozen relies on: what a build keeps (the documents, their graphs and triples, the
    cache's entries) is freed by reference counting alone, so freezing it keeps nothing alive after
    it is dropped. (The page's template engine makes a few cycles once per build, not per document,
    after the last freeze.) Checked in a fresh interpreter: threads that other tests left running
    make garbage of their own meanwhile."""
    script = f"""
import gc, sys
from pathlib import Path
from kg import ingest, parallel, pipeline

corpus, out = Path({str(corpus)!r}), Path({str(tmp_path)!r})
pipeline.build([corpus], out=out / "warm", html=False)  # lazily made regexes and resources
docs = [d for d in ingest.read_inputs([corpus]) if isinstance(d, ingest.Document)]
gc.collect()
gc.disable()
outcomes = parallel.work(parallel.Settings(), docs)
assert len(outcomes) == len(docs) > 3
del outcomes
in_work = gc.collect()
pipeline.build([corpus], out=out / "out", formats=("ttl", "nt"), html=False)  # the cache too
print(in_work, gc.collect())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["0", "0"]


def test_the_page_is_made_with_the_collector_paused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Making the page makes hundreds of thousands of objects and no cycles: collections meanwhile
    walked them all again, a third of its time. The collector is paused for it, and only for it."""
    import gc

    from kg import viewer

    seen = []
    render = viewer.render

    def spy(*args: object, **kwargs: object) -> str:
        seen.append(gc.isenabled())
        return render(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(viewer, "render", spy)
    (tmp_path / "a.txt").write_text(TEXTS["a.txt"], "utf-8")
    pipeline.build([tmp_path / "a.txt"], out=tmp_path / "out")
    assert seen == [False] and gc.isenabled()
    gc.disable()  # a host that runs without the collector keeps it so
    try:
        pipeline.build([tmp_path / "a.txt"], out=tmp_path / "out")
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert "巾帼建功" in (tmp_path / "out" / "graph.html").read_text("utf-8")


def test_a_rebuild_from_the_cache_forks_no_worker(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers are forked when the first batch is sent to them: an idle one makes each page this
    process writes be copied (a rebuild of 1,884 cached documents took a third longer with one)."""
    started = []
    start = parallel.Workers._start

    def spy(self: parallel.Workers, settings: parallel.Settings) -> None:
        started.append(settings)
        start(self, settings)

    monkeypatch.setattr(parallel.Workers, "_start", spy)
    monkeypatch.setattr(parallel, "_can_fork", lambda: True)  # (spawned workers start at once: they are slow to start)
    monkeypatch.setattr(parallel, "BATCH_CHARS", 100)  # the small corpus makes many batches
    first = pipeline.build([corpus], out=tmp_path, formats=("nt",), html=False, jobs=2)
    assert len(started) == 1 and first.reused == 0
    again = pipeline.build([corpus], out=tmp_path, formats=("nt",), html=False, jobs=2)
    assert len(started) == 1 and again.reused == len(first.documents) > 3
