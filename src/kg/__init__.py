"""kg: knowledge graphs with provenance from Chinese policy and organisational texts.

The stages are importable modules (``kg.ingest``, ``kg.segment``, ``kg.extract``, ``kg.resolve``,
``kg.rdf``, ``kg.query``, ``kg.viewer``); ``kg.build`` runs them all. Heavy libraries
(jieba, rdflib, pyvis) are imported where they are used, so ``import kg`` stays fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "build"]


def build(*args: Any, **kwargs: Any) -> Any:
    """Run the whole pipeline; see :func:`kg.pipeline.build`."""
    from kg.pipeline import build as _build

    return _build(*args, **kwargs)
