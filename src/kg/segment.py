"""Sentences and tokens, with offsets into the document text.

A sentence ends at 。！？；… or at a line break; a line without end punctuation (a heading)
is a sentence of its own. Furniture ranges are skipped. Tokens come from a private
``jieba.Tokenizer`` that knows the lexicon words, so names are not split.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from kg.model import Document, Sentence

if TYPE_CHECKING:
    import jieba

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
            if stripped and re.search(r"[\u4e00-\u9fffA-Za-z]", stripped):
                s = start + (len(text) - len(text.lstrip()))
                out.append(Sentence(index=len(out), start=s, end=s + len(stripped), text=stripped))
    return tuple(out)


@cache
def tokenizer(words: frozenset[str] = frozenset()) -> jieba.Tokenizer:
    """A private jieba tokenizer that keeps ``words`` (lexicon names) whole."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    for w in sorted(words):
        tk.add_word(w, freq=max(1000, len(w) * 1000))
    return tk


def tokens(text: str, tk: jieba.Tokenizer, *, offset: int = 0) -> list[tuple[int, int, str]]:
    """``(start, end, word)`` for every jieba token of ``text``; offsets shifted by ``offset``."""
    out = []
    pos = 0
    for w in tk.cut(text, HMM=True):
        out.append((offset + pos, offset + pos + len(w), w))
        pos += len(w)
    return out


def lexicon_words(labels: Iterable[str]) -> frozenset[str]:
    return frozenset(w for w in labels if 2 <= len(w) <= 20 and not re.search(r"\s", w))
