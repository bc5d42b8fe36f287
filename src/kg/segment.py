"""Sentences and tokens, with offsets into the document text.

A sentence ends at 。！？；… or at a line break; a line without end punctuation (a heading)
is a sentence of its own. Furniture ranges are skipped. Tokens come from a private jieba
tokenizer (rjieba's, where installed) that knows the lexicon words, so names are not split.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import cache, cached_property
from itertools import accumulate
from pathlib import Path
from typing import Any, overload

from kg.model import Document, Sentence

_WORDS = re.compile(r"[\u4e00-\u9fffA-Za-z]")  # a sentence holds at least one of these
_SENTENCE = re.compile(r"[^\n。！？；!?;]*(?:[。！？；!?;]+[”’」』）)]*|\n|$)")


def sentences(doc: Document) -> tuple[Sentence, ...]:
    """Split ``doc.text`` into sentences, leaving out page furniture and blank lines.

    >>> from kg.model import Document
    >>> [s.text for s in sentences(Document(id="d", text="坚持党的领导。强化服务！\\n标题"))]
    ['坚持党的领导。', '强化服务！', '标题']
    """
    out: list[Sentence] = []
    furniture = doc.furniture
    for m in _SENTENCE.finditer(doc.text):
        start, end = m.start(), m.end()
        raw = m.group()
        # trim white space (and the newline) at both ends, keeping offsets true
        lead = len(raw) - len(raw.lstrip())
        start += lead
        end = start + len(raw.strip())
        if end <= start:
            continue
        for fs, fe in furniture:
            if fs <= start and end <= fe:
                break
            if fs < end and start < fe:  # partial overlap: cut the furniture away from the sentence
                if fs <= start:
                    start = fe
                else:
                    end = fs
        else:
            text = doc.text[start:end]
            stripped = text.strip()
            if stripped and _WORDS.search(stripped):
                s = start + (len(text) - len(text.lstrip()))
                out.append(Sentence(index=len(out), start=s, end=s + len(stripped), text=stripped))
    return tuple(out)


@cache
def tokenizer(words: frozenset[str] = frozenset()) -> Any:
    """A private tokenizer that keeps ``words`` (lexicon names) whole.

    rjieba (jieba's Rust port, with jieba's dictionary, some 20x faster) where it is installed,
    else a private ``jieba.Tokenizer``; either has ``cut(text)``. The two split a few runs of
    Latin letters and digits differently (``B-52``); what kg extracts from the shared corpus is
    the same with either.
    """
    rjieba = _rjieba()
    if rjieba is not None:
        rk = rjieba.Jieba()
        for w in sorted(words):
            rk.add_word(w, max(1000, len(w) * 1000), None)
        return rk
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    for w in sorted(words):
        tk.add_word(w, freq=max(1000, len(w) * 1000))
    return tk


def _rjieba() -> Any:
    """rjieba's compiled module (which holds ``Jieba``), or None where rjieba is not installed.

    Loaded without the package's ``__init__``, which makes a default tokenizer kg never uses: a
    dictionary load of some 0.15 s at every start of ``kg`` (and of each spawned worker). It is
    registered as ``rjieba.rjieba``, so that the package, if imported later, uses it too.
    """
    import importlib.machinery
    import importlib.util
    import sys

    if "rjieba.rjieba" in sys.modules:
        return sys.modules["rjieba.rjieba"]
    try:
        spec = importlib.util.find_spec("rjieba")
        folders = list(spec.submodule_search_locations or []) if spec else []
        for path in (Path(f) / f"rjieba{x}" for f in folders for x in importlib.machinery.EXTENSION_SUFFIXES):
            loader = importlib.machinery.ExtensionFileLoader("rjieba.rjieba", str(path))
            found = importlib.util.spec_from_loader("rjieba.rjieba", loader)
            if path.is_file() and found is not None:
                module = importlib.util.module_from_spec(found)
                loader.exec_module(module)
                sys.modules["rjieba.rjieba"] = module
                return module
    except ImportError:
        pass
    try:
        import rjieba  # laid out otherwise: the package as it is
    except ImportError:
        return None
    return rjieba


Token = tuple[int, int, str]  # start, end (document offsets), word


def tokens(text: str, tk: Any, *, offset: int = 0) -> list[Token]:
    """``(start, end, word)`` for every token of ``text``; offsets shifted by ``offset``."""
    words = list(tk.cut(text, HMM=True)) if hasattr(tk, "initialize") else tk.cut(text, True)
    ends = list(accumulate(map(len, words), initial=offset))
    return list(zip(ends, ends[1:], words, strict=False))


class SentenceTokens(Sequence[Token]):
    """The tokens of one sentence (:func:`tokens`), cut on first use: most sentences need none."""

    def __init__(self, text: str, tk: Any, *, offset: int = 0) -> None:
        self._args = (text, tk, offset)

    @cached_property
    def all(self) -> list[Token]:
        text, tk, offset = self._args
        return tokens(text, tk, offset=offset)

    @cached_property
    def starts(self) -> frozenset[int]:
        """Where a token starts (document offsets): a name does not start inside a word."""
        return frozenset(a for a, _, _ in self.all)

    @overload
    def __getitem__(self, i: int) -> Token: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Token]: ...
    def __getitem__(self, i: int | slice) -> Token | Sequence[Token]:
        return self.all[i]

    def __len__(self) -> int:
        return len(self.all)

    def __iter__(self) -> Iterator[Token]:
        return iter(self.all)


def lexicon_words(labels: Iterable[str]) -> frozenset[str]:
    return frozenset(w for w in labels if 2 <= len(w) <= 20 and not re.search(r"\s", w))
