"""Shared fixtures: the extractor (built once), the shared corpus, and builds of it.

Unit tests use small literal texts written for the tests; tests that need the shared corpus
(``<repo>/../shared``) take the ``shared`` fixture and are skipped when it is absent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from kg import ingest, pipeline
from kg.model import Document, DocumentGraph, Entity

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE_ID = "000_56f2f42b0c68c09b"


@dataclass(frozen=True)
class Extracted:
    """One small text's extraction, with its entities and relations keyed by label."""

    graph: DocumentGraph

    @property
    def text(self) -> str:
        return self.graph.document.text

    @property
    def entities(self) -> dict[str, str]:
        """label -> class."""
        return {e.label: e.cls for e in self.graph.entities}

    def entity(self, label: str) -> Entity:
        found = [e for e in self.graph.entities if e.label == label]
        assert found, f"no entity labelled {label!r}; have {sorted(self.entities)}"
        return found[0]

    @property
    def relations(self) -> set[tuple[str, str, str]]:
        """(subject label, property, object label)."""
        label = {e.iri: e.label for e in self.graph.entities}
        return {(label[r.subject], r.property, label[r.object]) for r in self.graph.relations}

    @property
    def focus(self) -> set[str]:
        label = {e.iri: e.label for e in self.graph.entities}
        return {label[i] for i in self.graph.focus}


@pytest.fixture(scope="session")
def extractor() -> pipeline.Extractor:
    """The bundled lexicon and its jieba tokenizer, made once for the session."""
    return pipeline.Extractor.create()


@pytest.fixture(scope="session")
def extract(extractor: pipeline.Extractor) -> Callable[..., Extracted]:
    """``extract(text, title="")``: run the extractor on a literal text."""

    def run(text: str, *, title: str = "", doc_id: str = "t") -> Extracted:
        doc = ingest.make_document(doc_id, text, title=title)
        return Extracted(extractor.extract(doc))

    return run


# --------------------------------------------------------------------------- the shared corpus


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared corpus and gold folder beside the repository; skip when it is absent."""
    if not (SHARED / "corpus").is_dir() or not (SHARED / "eval").is_dir():
        pytest.skip(f"shared corpus not found at {SHARED} (expected <repo>/../shared/corpus and eval/)")
    return SHARED


@pytest.fixture(scope="session")
def reference_path(shared: Path) -> Path:
    path = shared / "corpus" / f"{REFERENCE_ID}.txt"
    if not path.is_file():
        pytest.skip(f"reference article {path} not found")
    return path


@pytest.fixture(scope="session")
def reference_gold(shared: Path) -> Path:
    return shared / "eval" / "gold" / f"{REFERENCE_ID}.json"


@pytest.fixture(scope="session")
def dev_paths(shared: Path) -> list[Path]:
    paths = sorted((shared / "corpus" / "dev").glob("*.txt"))
    if not paths:
        pytest.skip("no dev documents in shared/corpus/dev")
    return paths


@pytest.fixture(scope="session")
def dev_gold(shared: Path, dev_paths: list[Path]) -> list[Path]:
    gold = [shared / "eval" / "gold" / f"{p.stem}.json" for p in dev_paths]
    missing = [g for g in gold if not g.is_file()]
    if missing:
        pytest.skip(f"gold files missing: {missing}")
    return gold


@pytest.fixture(scope="session")
def reference_build(reference_path: Path, tmp_path_factory: pytest.TempPathFactory) -> pipeline.BuildResult:
    """The reference article built once, written as ttl, nt and jsonld (no HTML)."""
    out = tmp_path_factory.mktemp("reference")
    return pipeline.build([reference_path], out=out, formats=("ttl", "nt", "jsonld"), html=False)


@pytest.fixture(scope="session")
def reference_out(reference_build: pipeline.BuildResult) -> Path:
    """The folder the reference build wrote."""
    return reference_build.written[0].parent


@pytest.fixture(scope="session")
def reference_doc(reference_build: pipeline.BuildResult) -> DocumentGraph:
    return reference_build.documents[0]


@pytest.fixture(scope="session")
def dev_build(dev_paths: list[Path], tmp_path_factory: pytest.TempPathFactory) -> pipeline.BuildResult:
    """The dev documents built once, written as Turtle."""
    out = tmp_path_factory.mktemp("dev")
    return pipeline.build(dev_paths, out=out, formats=("ttl",), html=False)


@pytest.fixture(scope="session")
def corpus_documents(shared: Path) -> list[Document]:
    """Every document of the shared corpus (reference article, dev docs, the news JSONL)."""
    items = list(ingest.read_inputs([shared / "corpus"]))
    errors = [str(i) for i in items if isinstance(i, ingest.InputError)]
    assert not errors, errors
    return items
