"""Persons named by title or in lists, and the Party named by itself or inside a principle."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from kg import resources
from kg.extract.spans import CJK, mention
from kg.lexicon import Lexicon
from kg.model import Mention, Sentence
from kg.segment import Token

_NAMES_ATTEND = re.compile(r"^((?:[\u4e00-\u9fff]{2,3}、)+[\u4e00-\u9fff]{2,3})(?:参加|出席|陪同|分别)")
_ATTEND = re.compile(r"^[、，]?(?:出席|参加|陪同|会见|作|发言|等|同志|在|表示|指出|强调|主持|说|和|、)")


def party_mentions(s: Sentence, toks: Sequence[Token]) -> Iterator[Mention]:
    if "党" not in s.text:
        return
    for start, end, w in toks:
        if w in ("党", "我们党", "我党"):
            yield Mention(start, end, w, "中国共产党", "Organization", "org.party", s.index, 0.85)


def person_mentions(s: Sentence, toks: Sequence[Token], lex: Lexicon) -> Iterator[Mention]:
    titles = resources.cue_set("PERSON_TITLE")
    surnames = str(resources.cues()["SURNAMES"])

    def name_at(j: int) -> tuple[int, int, str, int] | None:
        """A person's name starting at token ``j`` (jieba may cut 李红梅 as 李|红梅): start, end, name, next token."""
        if j >= len(toks):
            return None
        a, b, w = toks[j]
        known = lex.lookup(w)
        if known is not None:
            return (a, b, w, j + 1) if known.cls == "Person" else None
        if 2 <= len(w) <= 3 and w[0] in surnames and CJK.match(w):
            return a, b, w, j + 1
        if len(w) == 1 and w in surnames and j + 1 < len(toks) and 1 <= len(toks[j + 1][2]) <= 2 and CJK.match(toks[j + 1][2]):
            return a, toks[j + 1][1], w + toks[j + 1][2], j + 2
        return None

    titled = resources.cue_regex("{PERSON_TITLE}").search(s.text)  # a title token is a title word in the text
    for i, (_start, _end, w) in enumerate(toks if titled else ()):
        if w not in titles:
            continue
        found = name_at(i + 1)
        if found:
            a, b, name, j = found
            after = s.text[b - s.start :]
            if _ATTEND.match(after) or not after or re.match(r"^[，。、]", after):
                yield Mention(a, b, name, name, "Person", "person.title", s.index, 0.8)
                # a list of names after the first: 李克强、张德江、俞正声出席
                while j < len(toks) and toks[j][2] == "、" and (more := name_at(j + 1)):
                    a, b, name, j = more
                    yield Mention(a, b, name, name, "Person", "person.list", s.index, 0.75)
        prv = toks[i - 1] if i > 0 else None
        if prv and w in ("总书记", "主席", "同志", "总理", "委员长") and (before := name_at(i - 1)) and before[1] == prv[1]:
            yield Mention(before[0], before[1], before[2], before[2], "Person", "person.title", s.index, 0.8)
    # a list of names that opens a sentence and ends in a verb of attending: 丁薛祥、孙春兰参加谈话
    m = _NAMES_ATTEND.match(s.text) if "、" in s.text else None
    if m:
        pos = 0
        names = m.group(1).split("、")
        if all(n[0] in surnames for n in names):
            for n in names:
                yield mention(s, pos, pos + len(n), n, "Person", "person.list", 0.7)
                pos += len(n) + 1


def party_in_principles(s: Sentence, kept: list[Mention]) -> list[Mention]:
    """坚持党的领导: the principle names the Party too, as a mention nested inside it."""
    out = []
    for m in kept:
        hit = re.match(r"^(?:坚持)?(党)(?:的|对)", m.surface) if m.cls == "Principle" and "领导" in m.surface else None
        if hit:
            a = m.start + hit.start(1)
            out.append(Mention(a, a + 1, "党", "中国共产党", "Organization", "org.party-in-principle", s.index, 0.85))
    return out
