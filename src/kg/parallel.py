"""Per-document work, done here, in worker processes or on a Dask cluster, or taken from the cache.

Each document is extracted on its own (:func:`work`: Document -> DocumentGraph and its triples),
so the work can be spread over processes (``jobs``), over a ``dask.distributed`` cluster
(``scheduler``), or skipped where a previous build left the result in the output folder's cache.
Results always come back in input order, so the graph does not depend on how it was made.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import os
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from kg import rdf
from kg.model import Document, DocumentGraph, Entity, Mention, Relation, Sentence, values
from kg.resolve import DEFAULT_BASE

if TYPE_CHECKING:
    from kg.pipeline import Extractor

Outcome = tuple["DocumentGraph | Packed", rdf.DocumentTriples]
CACHE_DIR = ".kg-cache"
BATCH_CHARS = 20_000  # documents are sent to workers in batches of about this many characters (~0.05 s of work)


@dataclass(frozen=True)
class Settings:
    """What, besides a document, decides what is extracted from it."""

    lexicons: tuple[tuple[str, bytes], ...] = ()  # the user lexicons: file name and content
    base: str = DEFAULT_BASE
    min_confidence: float = 0.0

    @classmethod
    def make(cls, lexicon_files: Iterable[str | Path] = (), base: str = DEFAULT_BASE, min_confidence: float = 0.0) -> Settings:
        """Settings with the user lexicons read in (so a worker on another machine has them too)."""
        return cls(tuple((str(f), Path(f).read_bytes()) for f in lexicon_files), base, min_confidence)

    def fingerprint(self) -> str:
        """A hash of kg's code and data, the user lexicons and the options: a cache entry is valid only under it."""
        h = hashlib.sha256(_code_and_data_hash().encode())
        for _, data in self.lexicons:
            h.update(b"\0lexicon\0" + data)
        h.update(f"\0{self.base}\0{self.min_confidence!r}".encode())
        return h.hexdigest()


@cache
def _code_and_data_hash() -> str:
    """kg's version, its source files and its ontology folder (rules, lexicons), hashed."""
    import kg
    from kg import resources

    h = hashlib.sha256(kg.__version__.encode())
    roots = [Path(kg.__file__).parent, resources.data_dir()]
    for root in roots:
        for p in sorted(root.rglob("*")):
            if p.is_file() and p.suffix in {".py", ".json", ".jsonl", ".tsv", ".ttl", ".txt"} and "__pycache__" not in p.parts:
                h.update(f"\0{p.relative_to(root)}\0".encode() + p.read_bytes())
    return h.hexdigest()


# --------------------------------------------------------------------------- the garbage collector

_freezing = 0  # how many heap_frozen blocks are open (the frozen objects are ours, not the host program's)
_freezing_lock = threading.Lock()  # builds in two threads of one program share the collector


def _nothing() -> None:
    pass


@contextmanager
def heap_frozen() -> Iterator[Callable[[], None]]:
    """Leave what exists now out of garbage collections until the block ends, and what exists
    whenever the function it gives is called (``gc.freeze``).

    A build keeps what it makes (the documents' graphs, their triples) until it ends, and each
    full collection walked all of it: on 1,884 news documents, a tenth of a second in a 3 s build
    and three times the viewer's time. kg's objects hold no reference cycles, so a frozen one is
    still freed when it is dropped. Blocks nest: the outermost one unfreezes. (Where the host
    program has frozen objects of its own, nothing is done: unfreezing ours would unfreeze theirs.)
    """
    global _freezing
    with _freezing_lock:
        ours = _freezing > 0 or not gc.get_freeze_count()
        if ours:
            _freezing += 1
            gc.freeze()
    if not ours:
        yield _nothing
        return
    try:
        yield gc.freeze
    finally:
        with _freezing_lock:
            _freezing -= 1
            if not _freezing:
                gc.unfreeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection in the block (as it was after it): for a step that makes many objects
    and no reference cycles, such as the page of a build (hundreds of thousands of pairs of terms,
    then its data). Collections while it ran walked all it had made so far: on 1,884 news
    documents, a third to half of the page's time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# --------------------------------------------------------------------------- the work itself


@cache
def _extractor(settings: Settings) -> Extractor:
    """One Extractor per process and settings (workers keep theirs between batches)."""
    import atexit
    import shutil
    import tempfile

    from kg.pipeline import Extractor

    paths = []
    for name, data in settings.lexicons:
        path = Path(name)
        if not (path.is_file() and path.read_bytes() == data):  # another machine, or the file changed since
            folder = tempfile.mkdtemp(prefix="kg-lexicon-")
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            path = Path(folder) / path.name
            path.write_bytes(data)
        paths.append(path)
    return Extractor.create(lexicon_files=paths, base=settings.base)


def work(settings: Settings, docs: Sequence[Document], pack: bool = False) -> list[Outcome]:
    """Extract ``docs`` and make their triples. With ``pack``, each graph comes back as it is sent
    between processes (:class:`Packed`)."""
    ex = _extractor(settings)
    out: list[Outcome] = []
    for doc in docs:
        dg = ex.extract(doc, min_confidence=settings.min_confidence)
        triples = rdf.document_triples(dg, base=settings.base)
        out.append((Packed.of(dg) if pack else dg, triples))
    return out


@dataclass(frozen=True)
class Packed:
    """A document's graph as JSON, the form the cache keeps it in, without the document (the
    receiver has it and puts it back). Workers send graphs packed and the cache reads them packed;
    the records are made only when asked for (:meth:`unpack`): making them took half the time of
    receiving a result, and a build that writes only RDF never reads them."""

    data: bytes
    document: Document | None = None

    @classmethod
    def of(cls, dg: DocumentGraph) -> Packed:
        return cls(_json_bytes(_graph_to_json(dg)))

    def unpack(self) -> DocumentGraph:
        if self.document is None:
            raise ValueError("a packed graph is unpacked with its document put back")
        return _graph_from_json(self.document, json.loads(self.data.decode("utf-8", "surrogatepass")))


def _json_bytes(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON, the bytes ``json`` writes, by orjson: four times as fast
    (with ``json``, packing took 6% of a worker's time). What orjson refuses, ``json`` writes: a
    lone surrogate (kg's reader removes them, but a lexicon or a Document made through the API can
    hold one) or an integer over 64 bits."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")


def _graph_to_json(dg: DocumentGraph) -> dict[str, Any]:
    return {
        "sentences": [values(s) for s in dg.sentences],
        "entities": [[e.iri, e.cls, e.label, e.aliases, [values(m) for m in e.mentions], e.confidence] for e in dg.entities],
        "relations": [values(r) for r in dg.relations],
        "focus": list(dg.focus),
    }


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _make(cls: Callable[..., Any], fields: list[Any]) -> Any:
    return cls(*(_tuples(v) for v in fields))


def _graph_from_json(doc: Document, data: dict[str, Any]) -> DocumentGraph:
    entities = [
        Entity(iri, cls, label, tuple(aliases), tuple(_make(Mention, m) for m in mentions), confidence)
        for iri, cls, label, aliases, mentions, confidence in data["entities"]
    ]
    return DocumentGraph(
        document=doc,
        sentences=tuple(_make(Sentence, s) for s in data["sentences"]),
        entities=tuple(entities),
        relations=tuple(_make(Relation, r) for r in data["relations"]),
        focus=tuple(data["focus"]),
    )


class Graphs(Sequence[DocumentGraph]):
    """The documents' graphs, in input order, each unpacked on first use."""

    def __init__(self, graphs: Iterable[DocumentGraph | Packed] = ()) -> None:
        self._graphs = list(graphs)

    def __len__(self) -> int:
        return len(self._graphs)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        graph = self._graphs[i]
        if isinstance(graph, Packed):
            graph = self._graphs[i] = graph.unpack()
        return graph

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"Graphs({len(self)} documents)"


class SchedulerError(RuntimeError):
    """The Dask scheduler cannot be used (not installed, not reachable); the message is one line."""


def batch_size(docs: Sequence[Document], jobs: int) -> int:
    """Characters per batch: BATCH_CHARS, or less, so that every worker gets a few batches."""
    total = sum(len(d.text) for d in docs)
    return max(1, min(BATCH_CHARS, total // (4 * max(jobs, 1))))


def _batches(docs: Sequence[Document], indices: Iterable[int], limit: int = BATCH_CHARS) -> list[list[int]]:
    batches: list[list[int]] = [[]]
    size = 0
    for i in indices:
        if size >= limit:
            batches.append([])
            size = 0
        batches[-1].append(i)
        size += len(docs[i].text)
    return [b for b in batches if b]


class Guided:
    """Documents (indices into ``docs``) in batches for ``jobs`` processes, taken from either end:
    of BATCH_CHARS characters while much is left, then smaller (an eighth of what is left for two
    processes), down to one document, so that the processes finish their last batches at about
    the same time."""

    def __init__(self, docs: Sequence[Document], todo: Iterable[int], jobs: int) -> None:
        self._docs = docs
        self._left: deque[int] = deque()
        self.chars = 0  # in the documents left
        self._jobs = max(1, jobs)
        for i in todo:
            self.add(i)

    def add(self, i: int) -> None:
        self._left.append(i)
        self.chars += len(self._docs[i].text)

    def __bool__(self) -> bool:
        return bool(self._left)

    def take(self, *, front: bool, limit: int | None = None) -> list[int]:
        """A batch of at most ``limit`` characters (by default, as guided by what is left), or of
        one document where that alone is more."""
        n, size = self._plan(front, limit)
        batch = [self._left.popleft() if front else self._left.pop() for _ in range(n)]
        self.chars -= size
        return batch if front else batch[::-1]

    def size(self, *, front: bool, limit: int | None = None) -> int:
        """The characters of the batch that :meth:`take` would give now."""
        return self._plan(front, limit)[1]

    def _plan(self, front: bool, limit: int | None) -> tuple[int, int]:
        if limit is None:
            limit = max(1, min(BATCH_CHARS, self.chars // (4 * self._jobs)))
        n = size = 0
        for i in iter(self._left) if front else reversed(self._left):
            chars = len(self._docs[i].text)
            if n and size + chars > limit:
                break
            n, size = n + 1, size + chars
        return n, size


def run(
    docs: Iterable[Document],
    settings: Settings,
    *,
    workers: Workers | None = None,
    scheduler: str | None = None,
    cache: Cache | None = None,
    progress: bool = False,
) -> list[Outcome]:
    """The outcome of every document, in input order.

    ``docs`` may be a generator that reads the inputs: with workers, they start on the first
    documents while this process reads the rest.

    Args:
        workers: the worker processes to use (none, or one job: in this process).
        scheduler: the address of a Dask scheduler (``tcp://host:8786``) to run the work on.
        cache: reuse (and store) results there; entries not used by this run are removed.
        progress: show a progress bar on a terminal (never when stderr is not one).
    """
    read: list[Document] = []
    results: list[Outcome | None] = []
    store = cache
    with Progress(enabled=progress) as bar, heap_frozen() as keep:

        def arrivals() -> Iterator[int]:
            """Read the documents; yield the index of each one the cache does not hold."""
            for doc in docs:
                read.append(doc)
                results.append(store.get(doc) if store else None)
                bar.expect(len(read))
                if results[-1] is None:
                    yield len(read) - 1
                else:
                    bar.advance([doc])

        if workers and workers.jobs > 1 and not scheduler:
            done = workers.share(settings, read, arrivals())
        else:
            todo = list(arrivals())
            if scheduler:
                done = _run_dask(scheduler, settings, read, _batches(read, todo, batch_size([read[i] for i in todo], 8)))
            else:
                done = ((b, work(settings, [read[i] for i in b])) for b in _batches(read, todo))
        for batch, outcomes in done:
            for i, (dg, triples) in zip(batch, outcomes, strict=True):
                if isinstance(dg, Packed):  # from a worker: put the document back
                    dg = Packed(dg.data, read[i])
                results[i] = (dg, triples)
                if store:
                    store.put(read[i], (dg, triples))
            bar.advance([read[i] for i in batch])
            keep()  # collections need not walk these outcomes again
    if store:
        store.keep_only(read)
    return [r for r in results if r is not None]


Done = Iterator[tuple[list[int], list[Outcome]]]


class Workers:
    """``jobs`` processes for the per-document work: this one and ``jobs - 1`` workers.

    Where the platform can fork and this process runs no other thread, the workers are forked
    from it with its extractor made, so they start with it, at no cost, and they are forked when
    the first batch is sent to them: a rebuild that finds its documents in the cache, or has too
    little left to share, forks nothing. (An idle worker is not free: while it lives, each page
    this process writes is copied. A rebuild of 1,884 cached documents took 0.62-0.72 s with one,
    0.47-0.56 s without.) Elsewhere they are spawned (safe with threads, on every platform): with
    ``settings``, at once, so that they make their own extractor while this process reads.
    """

    def __init__(self, jobs: int = 1, settings: Settings | None = None) -> None:
        self.jobs = max(1, jobs)
        self._pool: Any = None
        self._frozen = ExitStack()
        if self.jobs > 1 and settings is not None:
            if _can_fork():
                _warm(settings)  # now, so that the fork later costs nothing
            else:
                self._start(settings)

    def _start(self, settings: Settings) -> None:
        import multiprocessing

        helpers = self.jobs - 1
        if _can_fork():
            _warm(settings)
            # the workers' garbage collector leaves what they inherit alone: touching it would copy
            # this process's whole heap, page by page, into each of them
            self._frozen.enter_context(heap_frozen())
            try:
                self._pool = multiprocessing.get_context("fork").Pool(helpers)
            except BaseException:
                self._frozen.close()
                raise
        else:
            self._pool = multiprocessing.get_context("spawn").Pool(helpers, _warm, (settings,))
        _widen_pipes(self._pool)

    def share(self, settings: Settings, docs: Sequence[Document], todo: Iterable[int]) -> Done:
        """The outcomes of the documents ``todo`` (indices into ``docs``), in batches, worked on by the
        workers and by this process, each batch as it is done.

        ``todo`` may be a generator that reads the documents (and adds them to ``docs``): while it
        does, this process reads and the workers get whole batches as they fill. Then the workers
        take batches from the front (a few queued each, so none waits); this process takes one from
        the back whenever it is free, so no process sits idle while work is left, and what this
        process does is never sent between processes. Batches get smaller as the work runs out
        (:class:`Guided`): when nothing is left to take, this process waits only for what the
        workers have queued, and that is then little.
        """
        # The pool's threads here pass batches to the workers and read their results (some 30 kB
        # per 1000 characters) a pipe's buffer at a time, each time waiting for the interpreter
        # lock that this thread holds while it extracts: by default for up to 5 ms. With 64 kB
        # pipes that left the workers idle a quarter of the time; _widen_pipes makes the buffer
        # hold a whole result where it can, and a shorter interval lets the threads in at once.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(min(interval, 0.0002))
        try:
            yield from self._share(settings, docs, todo)
        finally:
            sys.setswitchinterval(interval)

    def _share(self, settings: Settings, docs: Sequence[Document], todo: Iterable[int]) -> Done:
        left = Guided(docs, (), self.jobs)
        sent: deque[tuple[list[int], Any, int]] = deque()  # batch, result, characters
        queue = 4 * (self.jobs - 1)

        def send(batch: list[int]) -> None:
            if self._pool is None:
                self._start(settings)
            size = sum(len(docs[i].text) for i in batch)
            sent.append((batch, self._pool.apply_async(work, (settings, [docs[i] for i in batch], True)), size))

        def more() -> bool:
            """Queue another batch for the workers: a few each, and no more than leaves this process
            its share of what is left (so a small input is not all queued for the workers)."""
            if not left or len(sent) >= queue:
                return False
            queued, size = sum(c for *_, c in sent), left.size(front=True)
            return queued + size <= (left.chars - size) * (self.jobs - 1)

        def received() -> list[tuple[list[int], list[Outcome]]]:
            """What the workers have finished, in the order it was sent, taken off the queue (so
            that it is not counted as queued when the queue is topped up)."""
            out = []
            while sent and sent[0][1].ready():
                b, res, _ = sent.popleft()
                out.append((b, res.get()))
            return out

        for i in todo:  # reading: whole batches for the workers, one kept for the end
            left.add(i)
            done = received()
            while left.chars >= 2 * BATCH_CHARS and len(sent) < queue:
                send(left.take(front=True, limit=BATCH_CHARS))
            yield from done
        while left or sent:
            done = received()
            while more():
                send(left.take(front=True))
            yield from done
            if left:
                b = left.take(front=False)
                yield b, work(settings, [docs[i] for i in b])
            elif sent:
                b, res, _ = sent.popleft()
                yield b, res.get()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
        self._frozen.close()


# A few sentences of the genre that between them reach most rules (lists, cues, quoted and titled
# names, leadership, cooperation, roles), so that their regexes are compiled before the workers fork.
_WARM_TEXT = (
    "天津市妇联坚持以人民为中心，深入实施“巾帼建功”行动。\n"
    "市委、市政府印发《天津市妇女发展规划》，要求各级妇联组织坚持政治性、先进性、群众性。\n"
    "在市委的坚强领导下，市妇联与市人社局合作开展“津帼众创”“千村美院”等品牌活动，为广大妇女儿童提供服务。\n"
    "市妇联主席张三表示，要围绕统筹推进“五位一体”总体布局，团结引领广大妇女建功新时代。\n"
    "市妇联下设办公室、组织部、宣传部等部门，推动实现妇女全面发展的目标。"
)


@cache
def _warm(settings: Settings) -> None:
    """Make the extractor, its tokenizer and the rules' regexes now, not in the first batch (nor
    once in each worker, where they are forked). Once per process and settings."""
    work(settings, [Document(id="warm", text=_WARM_TEXT, title="妇联工作", date="2024-03-08")], pack=True)


def _widen_pipes(pool: Any) -> None:
    """Give the pool's pipes a 1 MB buffer (Linux; elsewhere they stay as they are): a worker's
    result, some 1 MB per batch, then goes in at once instead of 64 kB at a time, each time
    waiting for this process to read."""
    try:
        import fcntl

        for queue in (pool._outqueue, pool._inqueue):
            fcntl.fcntl(queue._reader.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)  # Linux only: elsewhere no such name
    except (ImportError, AttributeError, OSError):
        pass


def _can_fork() -> bool:
    """Forking is safe here: the platform has it (not Windows, not macOS's default) and no other thread runs."""
    import multiprocessing
    import threading

    return sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _run_dask(address: str, settings: Settings, docs: Sequence[Document], batches: list[list[int]]) -> Done:
    try:
        from dask.distributed import Client
    except ImportError:
        raise SchedulerError("--scheduler needs dask.distributed: pip install 'kg[dask]'") from None
    try:
        client = Client(address, timeout=os.environ.get("KG_DASK_TIMEOUT", "30s"))
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerError(
            f"cannot reach the Dask scheduler at {address} ({exc.__class__.__name__}: {str(exc)[:160]})"
        ) from None
    with client:
        futures = [client.submit(work, settings, [docs[i] for i in b], True, pure=False) for b in batches]
        for batch, future in zip(batches, futures, strict=True):
            yield batch, future.result()


# --------------------------------------------------------------------------- progress


class Progress:
    """A progress bar on stderr (documents, characters, characters per second); silent off a terminal."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.chars = 0
        self.start = time.perf_counter()
        self.bar: Any = None

    def expect(self, total: int) -> None:
        """The documents read so far: the bar's total (it shows once there is one)."""
        if not self.enabled:
            return
        if self.bar is None:
            import shutil

            from tqdm import tqdm

            class Bar(tqdm):
                monitor_interval = 0  # no monitor thread: workers are forked only where no other thread runs

            size = shutil.get_terminal_size((100, 20))  # a terminal that tells no size (0 x 0) gets 100 x 20
            self.bar = Bar(total=total, unit="doc", desc="kg build", file=sys.stderr, leave=False,
                            ncols=size.columns or 100, nrows=size.lines or 20)  # fmt: skip
        elif total != self.bar.total:
            self.bar.total = total

    def advance(self, docs: Sequence[Document]) -> None:
        if self.bar is None or not docs:
            return
        self.chars += sum(len(d.text) for d in docs)
        rate = self.chars / max(time.perf_counter() - self.start, 1e-6)
        self.bar.set_postfix_str(f"{self.chars / 1e6:.2f}M chars, {rate / 1e3:.0f}k chars/s", refresh=False)
        self.bar.update(len(docs))

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


# --------------------------------------------------------------------------- cache


class Cache:
    """Results of earlier builds, one file per document, keyed by a hash of the document and settings."""

    def __init__(self, folder: Path, settings: Settings) -> None:
        """Args:
        folder: where the entries are (made when the first is stored).
        settings: entries made under other settings (or another version of kg) are not used.
        """
        self.folder = folder
        self.prefix = settings.fingerprint()
        self.hits = 0
        self.misses = 0
        self._keys: dict[Document, str] = {}

    def key(self, doc: Document) -> str:
        """The document's content and metadata, hashed (not its path: a JSON Lines record may move)."""
        if doc not in self._keys:
            data = json.dumps(values(dataclasses.replace(doc, path="")), ensure_ascii=False)
            self._keys[doc] = hashlib.sha256(f"{self.prefix}\0{data}".encode("utf-8", "surrogatepass")).hexdigest()
        return self._keys[doc]

    def get(self, doc: Document) -> Outcome | None:
        path = self.folder / f"{self.key(doc)}.entry"
        try:
            check, rest = path.read_bytes().split(b"\n", 1)
            if int(check) != zlib.crc32(rest):
                raise ValueError("damaged")
            head, graph, entries = rest.split(b"\n", 2)
            meta = json.loads(head)
            triples = rdf.DocumentTriples(meta["document"], entries.split(b"\0") if entries else [], meta["confidence"])
        except (OSError, ValueError, KeyError, TypeError):  # absent or damaged: extract again
            self.misses += 1
            return None
        self.hits += 1
        return Packed(graph, doc), triples

    def put(self, doc: Document, outcome: Outcome) -> None:
        """Store ``outcome`` as four parts: a CRC-32 of the rest, a JSON line with the document's IRI
        and the confidences, a JSON line with the graph (:class:`Packed`), and the triples' entries as
        they are, split by NUL (which they never hold: RDF escapes controls), so neither is encoded
        again."""
        dg, triples = outcome
        graph = dg if isinstance(dg, Packed) else Packed.of(dg)
        head = _json_bytes({"document": triples.document, "confidence": triples.confidence})
        rest = b"\n".join([head, graph.data, b"\0".join(triples.entries)])
        data = b"%d\n" % zlib.crc32(rest) + rest
        path = self.folder / f"{self.key(doc)}.entry"
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError:  # a cache that cannot be written only costs time
            tmp.unlink(missing_ok=True)

    def keep_only(self, docs: Iterable[Document]) -> None:
        """Remove entries that no document of this build uses, and temporary files of killed builds."""
        keep = {f"{self.key(d)}.entry" for d in docs}
        if self.folder.is_dir():
            for p in self.folder.iterdir():
                if p.name not in keep:
                    p.unlink(missing_ok=True)


def clean_stale(folder: Path) -> None:
    """Remove the cache's temporary files that a killed build left behind."""
    cache_dir = folder / CACHE_DIR
    if cache_dir.is_dir():
        for p in cache_dir.glob(".*.tmp"):
            p.unlink(missing_ok=True)
