"""``build()``: the one place where the stages are chained.

text -> Document -> sentences -> mentions -> entities -> relations -> RDF triples -> files

The per-document stages run in :mod:`kg.parallel` (here, in worker processes, on a Dask cluster,
or not at all where the output folder's cache has the result); the graph is assembled here, in
input order, so it is the same however it was made.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from kg import ingest, parallel, rdf, segment
from kg.extract.mentions import find_mentions
from kg.extract.relations import find_relations
from kg.lexicon import Lexicon
from kg.lexicon import load as load_lexicon
from kg.model import Document, DocumentGraph, Sentence
from kg.resolve import DEFAULT_BASE, resolve

LOCK_FILE = ".kg-build.lock"
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_SENTENCE = 2000  # characters: a longer "sentence" (a line without punctuation) is cut into pieces


@dataclass
class Extractor:
    """The lexicon and tokenizer of a build, made once and used for every document."""

    lexicon: Lexicon
    base: str = DEFAULT_BASE
    _tk: object = None

    @classmethod
    def create(cls, *, lexicon_files: Iterable[str | Path] = (), base: str = DEFAULT_BASE) -> Extractor:
        return cls(lexicon=load_lexicon(lexicon_files), base=base)

    @property
    def tokenizer(self) -> object:
        if self._tk is None:
            self._tk = segment.tokenizer(segment.lexicon_words(self.lexicon.surfaces()))
        return self._tk

    def extract(self, doc: Document, *, min_confidence: float = 0.0) -> DocumentGraph:
        """Everything one document says, as entities and relations with provenance."""
        try:
            return self._extract(doc, min_confidence)
        except UnicodeEncodeError:
            # A lone surrogate: kg's reader removes them, but a Document made through the API can
            # hold one, and the tokenizer and the lexicon's matcher take only UTF-8. Extract from
            # the text with U+FFFD in its place (one character for one: offsets stay true).
            text = _SURROGATE.sub("\ufffd", doc.text)
            if text == doc.text:
                raise
            return dataclasses.replace(self._extract(dataclasses.replace(doc, text=text), min_confidence), document=doc)

    def _extract(self, doc: Document, min_confidence: float) -> DocumentGraph:
        sentences = _bounded(segment.sentences(doc))
        mentions = find_mentions(doc, sentences, self.lexicon, self.tokenizer)
        resolved = resolve(doc, mentions, self.lexicon, base=self.base)
        relations = find_relations(sentences, mentions, resolved)
        entities = tuple(e for e in resolved.entities if e.confidence >= min_confidence)
        kept = {e.iri for e in entities}
        relations = [r for r in relations if r.confidence >= min_confidence and r.subject in kept and r.object in kept]
        return DocumentGraph(doc, sentences, entities, tuple(relations), resolved.focus)


def _bounded(sentences: tuple[Sentence, ...]) -> tuple[Sentence, ...]:
    """Sentences cut to at most MAX_SENTENCE characters, so no rule ever runs over a whole 10 MB line."""
    if all(s.end - s.start <= MAX_SENTENCE for s in sentences):
        return sentences
    out: list[Sentence] = []
    for s in sentences:
        for a in range(0, len(s.text), MAX_SENTENCE):
            piece = s.text[a : a + MAX_SENTENCE]
            lead = len(piece) - len(piece.lstrip())
            piece = piece.strip()
            if piece:
                out.append(Sentence(index=len(out), start=s.start + a + lead, end=s.start + a + lead + len(piece), text=piece))
    return tuple(out)


@dataclass
class BuildResult:
    """What a build made: its triples, documents, skipped inputs, files."""

    merged: rdf.Triples = field(default_factory=rdf.Triples)
    documents: Sequence[DocumentGraph] = field(default_factory=list)  # each made on first use (parallel.Graphs)
    errors: list[ingest.InputError] = field(default_factory=list)
    notes: list[ingest.InputError] = field(default_factory=list)  # inputs read with a remark (not skipped)
    written: list[Path] = field(default_factory=list)
    reused: int = 0  # documents taken from the cache
    _graph: Graph | None = None

    @property
    def graph(self) -> Graph:
        """The triples as an rdflib graph (made on first use)."""
        if self._graph is None:
            self._graph = rdf.graph_of(self.merged)
        return self._graph

    @property
    def triples(self) -> int:
        return self.merged.count()

    def counts(self) -> Counter[str]:
        """Entities by class and relations by property, over the whole graph."""
        return rdf.counts(self.merged)


def build(
    paths: Iterable[str | Path],
    *,
    out: Path | None = None,
    formats: Iterable[str] = ("ttl",),
    base: str = DEFAULT_BASE,
    lexicon_files: Iterable[str | Path] = (),
    min_confidence: float = 0.0,
    encoding: str | None = None,
    html: bool = True,
    jobs: int = 1,
    scheduler: str | None = None,
    cache: bool = True,
    max_bytes: int | None = ingest.MAX_BYTES,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> BuildResult:
    """Read ``paths``, extract, and (with ``out``) write ``graph.<fmt>`` and ``graph.html`` there.

    Bad inputs are collected in ``BuildResult.errors``; the others are still built. With ``out``,
    the build holds a lock on the folder (a second build into it waits), removes temporary files
    a killed build left there, keeps a cache of per-document results (``cache``), and replaces
    the outputs only once all of them are made: a failed or killed build leaves the old ones.

    Args:
        jobs: worker processes for the per-document work.
        scheduler: run the per-document work on this Dask scheduler instead.
        max_bytes: skip inputs (files, JSON Lines records) larger than this.
        progress: show a progress bar when stderr is a terminal.
        log: where to say that the build waits for another one.
    """
    settings = parallel.Settings.make(lexicon_files, base, min_confidence)
    parallel._extractor(settings)  # a malformed lexicon fails here, before any work
    with _locked(out, log):
        result = BuildResult()
        with parallel.heap_frozen() as keep:  # what the build keeps, collections need not walk again and again
            with parallel.Workers(1 if scheduler else jobs, settings) as workers:  # they start on the first batch
                store = parallel.Cache(out / parallel.CACHE_DIR, settings) if (out is not None and cache) else None
                docs = _read(paths, encoding, max_bytes, result)  # read as the work goes on
                outcomes = parallel.run(docs, settings, workers=workers, scheduler=scheduler, cache=store, progress=progress)
            result.reused = store.hits if store else 0
            result.documents = parallel.Graphs(dg for dg, _ in outcomes)
            result.merged = rdf.merge(t for _, t in outcomes)
            keep()
            if out is not None and outcomes:
                files = {out / f"graph.{fmt}": rdf.encode(result.merged, fmt) for fmt in dict.fromkeys(formats)}
                if html:
                    from kg import viewer

                    with parallel.collector_paused():
                        drawn = rdf.by_predicate(result.merged, viewer.READS)  # no rdflib graph: slow to fill
                        files[out / "graph.html"] = viewer.render(drawn).encode("utf-8")
                rdf.write_all(files)
                result.written.extend(files)
    return result


def _read(paths: Iterable[str | Path], encoding: str | None, max_bytes: int | None, result: BuildResult) -> Iterator[Document]:
    """The documents of ``paths``, as they are read; what cannot be read goes to ``result.errors`` (or ``notes``)."""
    seen: set[str] = set()
    for item in ingest.read_inputs(paths, encoding=encoding, max_bytes=max_bytes):
        if isinstance(item, ingest.InputError):
            (result.errors if item.skipped else result.notes).append(item)
        elif item.id in seen:
            result.errors.append(ingest.InputError(item.path, f"document id {item.id!r} already read; skipped"))
        else:
            seen.add(item.id)
            yield item


@contextmanager
def _locked(out: Path | None, log: Callable[[str], None] | None) -> Iterator[None]:
    """Hold an exclusive lock on the output folder; clean what a killed build left there."""
    if out is None:
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock, the rest holds
            fcntl = None  # type: ignore[assignment]
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if log:
                log(f"waiting for another build into {out} to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        rdf.clean_stale(out)
        parallel.clean_stale(out)
        yield
    finally:
        os.close(fd)  # releases the lock
