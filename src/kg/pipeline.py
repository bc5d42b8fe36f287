"""``build()``: the one place where the stages are chained.

text -> Document -> sentences -> mentions -> entities -> relations -> RDF graph -> files
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from kg import ingest, rdf, segment
from kg.extract.mentions import find_mentions
from kg.extract.relations import find_relations
from kg.lexicon import Lexicon
from kg.lexicon import load as load_lexicon
from kg.model import Document, DocumentGraph
from kg.resolve import DEFAULT_BASE, resolve


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
        sentences = segment.sentences(doc)
        mentions = find_mentions(doc, sentences, self.lexicon, self.tokenizer)
        resolved = resolve(doc, mentions, self.lexicon, base=self.base)
        relations = find_relations(sentences, mentions, resolved)
        entities = tuple(e for e in resolved.entities if e.confidence >= min_confidence)
        kept = {e.iri for e in entities}
        relations = [r for r in relations if r.confidence >= min_confidence and r.subject in kept and r.object in kept]
        return DocumentGraph(doc, sentences, entities, tuple(relations), resolved.focus)


@dataclass
class BuildResult:
    graph: Graph
    documents: list[DocumentGraph] = field(default_factory=list)
    errors: list[ingest.InputError] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        """Entities by class and relations by property, over the whole graph."""
        from kg.vocab import NS

        c: Counter[str] = Counter()
        q = "SELECT ?t (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t"
        for t, n in self.graph.query(q):  # type: ignore[misc]
            c[str(t).removeprefix(NS)] = int(n)
        from kg.vocab import RELATIONS, term

        for p in RELATIONS:
            c[p] = len(set(self.graph.subject_objects(term(p))))
        return c


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
) -> BuildResult:
    """Read ``paths``, extract, and (with ``out``) write ``graph.<fmt>`` and ``graph.html`` there.

    Bad inputs are collected in ``BuildResult.errors``; the others are still built.
    """
    extractor = Extractor.create(lexicon_files=lexicon_files, base=base)
    docs: list[DocumentGraph] = []
    errors: list[ingest.InputError] = []
    seen: set[str] = set()
    for item in ingest.read_inputs(paths, encoding=encoding):
        if isinstance(item, ingest.InputError):
            errors.append(item)
            continue
        if item.id in seen:
            errors.append(ingest.InputError(item.path, f"document id {item.id!r} already read; skipped"))
            continue
        seen.add(item.id)
        docs.append(extractor.extract(item, min_confidence=min_confidence))
    graph = rdf.to_graph(docs, base=base)
    result = BuildResult(graph=graph, documents=docs, errors=errors)
    if out is not None and docs:
        for fmt in dict.fromkeys(formats):
            path = out / f"graph.{fmt}"
            rdf.write_atomic(path, rdf.serialize(graph, fmt))
            result.written.append(path)
        if html:
            from kg import viewer

            path = out / "graph.html"
            rdf.write_atomic(path, viewer.render(graph).encode("utf-8"))
            result.written.append(path)
    return result
