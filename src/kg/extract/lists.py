"""Lists and wholes: numbered slogans and their members, lists closed by their whole, chained
quotes, parallel slogans held to. Each function serves one family named in coded_rules.json."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cache

from kg import resources
from kg.extract.spans import CJK, NUMBERED, QUOTES, mention, numeral_value, plausible, replace_mention, strip_front
from kg.lexicon import Lexicon
from kg.model import Document, Mention, Sentence
from kg.segment import Token


def adherence_lists(s: Sentence) -> Iterator[Mention]:
    """坚持工业农业一起抓、城市农村一起抓: the parallel slogans a body holds to, each a principle."""
    if "坚持" not in s.text:
        return
    for m in re.finditer(r"坚持((?:[\u4e00-\u9fff]{4,8}、)+[\u4e00-\u9fff]{4,8})(?=[，。；,;]|$)", s.text):
        pos = m.start(1)
        verb_phrase = resources.cue_regex("^(?:{RUN_VERB}|{SERVE_VERB}|{VERB_PREFIX}|{PRIN_VERB}|{ADV}|为|把准|立足|直接|有效)")
        for item in m.group(1).split("、"):
            if not verb_phrase.match(item):
                yield mention(s, pos, pos + len(item), item, "Principle", "principle.adherence-list", 0.55)
            pos += len(item) + 1


@cache
def _typed_list_regex() -> re.Pattern[str]:
    heads = resources.alternation(list(resources.cues()["LIST_HEAD_CLASS"]))
    item = r"[\u4e00-\u9fffA-Za-z0-9+＋—·“”]{2,16}"
    return re.compile(rf"((?:{item}、)+{item})等[\u4e00-\u9fff]{{0,4}}?({heads})(?![\u4e00-\u9fff])")


def typed_lists(s: Sentence, lex: Lexicon) -> Iterator[Mention]:
    """``A、B、C等交流平台``: the items of a list closed by 等 + a head noun of known class."""
    if "、" not in s.text or "等" not in s.text:
        return
    heads: dict[str, str] = resources.cues()["LIST_HEAD_CLASS"]  # type: ignore[assignment]
    for m in _typed_list_regex().finditer(s.text):
        cls = heads[m.group(2)]
        pos = m.start(1)
        items = m.group(1).split("、")
        # the first item starts after the last verb before it: 要引导妇女发扬|尊老爱幼
        verbs = resources.cue_regex("(?:{RUN_VERB}|{PRIN_VERB}|{SERVE_VERB}|{VERB_PREFIX}|借助|通过|发扬)")
        last_verb = list(verbs.finditer(items[0]))
        cut = last_verb[-1].end() if last_verb and len(items[0]) - last_verb[-1].end() >= 2 else 0
        items[0], pos = items[0][cut:], pos + cut
        # 尊老爱幼、男女平等…等中华民族传统美德: a named whole after 等 makes the items its members
        whole_start, whole_end = m.end(1) + 1, m.end(2)
        whole = s.text[whole_start:whole_end]
        named_whole = cls in ("Principle", "Programme") and len(whole) >= len(m.group(2)) + 3
        if any((e := lex.lookup(it.strip(QUOTES))) is not None and e.cls == "Place" for it in items):
            continue  # 扎波罗热、哈尔科夫等方向: places, whatever the head says
        members = []
        for it in items:
            label = it.strip(QUOTES)
            if 2 <= len(label) <= 16 and plausible(label, cls):
                members.append(label)
                yield mention(s, pos, pos + len(it), label, cls, "list.member" if named_whole else "list.typed", 0.55)
            pos += len(it) + 1
        if named_whole and len(members) >= 2 and plausible(whole, cls):
            yield mention(s, whole_start, whole_end, whole, cls, "list.whole", 0.6, members=tuple(members))


# --------------------------------------------------------------------------- resolution and structure


_QUOTE_AFTER_QUOTE = re.compile(r"”[、和及与]?“")


def chained_quotes(s: Sentence, kept: list[Mention]) -> list[Mention]:
    """A quoted name right after a quoted name of known class shares its class."""
    out: list[Mention] = []
    if not _QUOTE_AFTER_QUOTE.search(s.text):
        return out
    known = {(m.start, m.end): m for m in kept}
    for m in re.finditer(r"“([^“”\n]{2,24})”", s.text):
        span = (s.start + m.start(1), s.start + m.end(1))
        if span in known or any(a < span[1] and span[0] < b for a, b in known):
            continue
        before = s.text[: m.start()]
        prev = re.search(r"”[、和及与]?$", before)
        if not prev:
            continue
        left = [k for k in kept if k.end == s.start + prev.start() and k.cls in ("Programme", "Principle")]
        if left:
            out.append(mention(s, m.start(1), m.end(1), m.group(1), left[0].cls, "quote.chain", 0.75))
    return out


def numbered_wholes(s: Sentence, toks: Sequence[Token], kept: list[Mention]) -> list[Mention]:
    """Candidate numbered wholes (三个特性) not named by the lexicon; kept only if members are found."""
    out = []
    for m in NUMBERED.finditer(s.text):
        a = s.start + m.start()
        if any(k.start <= a < k.end for k in kept):
            continue
        # the head noun: the jieba tokens after the classifier, up to 4 characters
        end = s.start + m.end()
        head = ""
        for ta, _tb, w in toks:
            if ta >= end and ta == end + len(head) and CJK.match(w) and len(head) + len(w) <= 4:
                head += w
        if len(head) >= 2:
            b = end + len(head)
            out.append(Mention(a, b, s.text[a - s.start : b - s.start], s.text[a - s.start : b - s.start],
                               "Principle", "whole.numbered", s.index, 0.7))  # fmt: skip
    return out


def whole_members(doc: Document, found: list[Mention], sentences: tuple[Sentence, ...], lex: Lexicon) -> list[Mention]:
    """Give numbered wholes their members; drop coded wholes that have none."""
    out: list[Mention] = []
    dropped: set[tuple[int, int]] = set()
    for i, m in enumerate(found):
        if m.rule == "whole.numbered":
            n = numeral_value(m.label)
            last = m.label[-1]
            members: list[str] = []
            for other in found[i + 1 :]:
                if other.start - m.end > 1500:
                    break
                if other.cls == "Principle" and other.label.endswith(last) and other.label != m.label:
                    if other.label not in members:
                        members.append(other.label)
                if len(members) == n:
                    break
            if n and len(members) == n:
                out.append(replace_mention(m, members=tuple(members)))
            continue
        if m.cls in ("Principle", "Programme") and not m.members:
            listed = _listed_before(doc.text, m) or _listed_after(doc.text, m)
            if listed:
                out.append(replace_mention(m, members=tuple(x for x, _, _ in listed), rule=m.rule))
                for label, a, b in listed:
                    # a member wins over shorter names inside it (服务职工 over 职工), not over a crossing one
                    if not any(o.start < b and a < o.end and not (a <= o.start and o.end <= b) for o in found):
                        out.append(Mention(a, b, doc.text[a:b], label, m.cls, "whole.listed", m.sentence, 0.6))
                        dropped |= {(o.start, o.end) for o in found if a <= o.start and o.end <= b and (o.start, o.end) != (a, b)}
                continue
        out.append(m)
    return sorted((x for x in out if (x.start, x.end) not in dropped), key=lambda x: (x.start, x.end))


_LIST_BEFORE = re.compile(r"((?:[\u4e00-\u9fff]{2,12}、)+[\u4e00-\u9fff]{2,12})(等)?$")  # A、B、C(等)
_SPELLED_OUT = re.compile(r"[”]?(?:，即|，也就是|：|:|，就是|，包括|即)")  # “三个服务”，即 …
_ITEMS = re.compile(r"[^。；;\n]{2,200}")  # … the items, to the end of the clause


def _listed_before(text: str, whole: Mention) -> list[tuple[str, int, int]]:
    """``A、B、C等X`` or ``A、B、C三大X``: the listed items right before the whole."""
    window = text[max(0, whole.start - 80) : whole.start]
    # the last item (2 to 12 characters, maybe 等) ends the window: no 、 near its end, no list
    m = _LIST_BEFORE.search(window) if "、" in window[-14:] else None
    if not m:
        return []
    n = numeral_value(whole.label)
    items = m.group(1).split("、")
    if not m.group(2) and not n:
        return []
    run = tuple(resources.cue_list("RUN_VERB")) + tuple(resources.cue_list("PRIN_VERB")) + tuple(resources.cue_list("ADV"))
    first, cut = strip_front(items[0], run)
    items[0] = first
    if n and len(items) != n:
        return []
    out = []
    pos = whole.start - len(m.group(0)) + cut
    for it in items:
        out.append((it, pos, pos + len(it)))
        pos += len(it) + 1
    return out


def _listed_after(text: str, whole: Mention) -> list[tuple[str, int, int]]:
    """``“三个服务”，即服务职工、服务企业、服务大局`` / ``“四个坚持”：坚持A、坚持B…``: the N items
    that spell out a numbered whole right after it (a leading 坚持 is dropped from each)."""
    n = numeral_value(whole.label)
    m = _SPELLED_OUT.match(text, whole.end, whole.end + 6)
    if not n or not m:
        return []
    start = m.end()  # m matched in text itself, from whole.end
    body = _ITEMS.match(text, start)
    items = body.group().split("、") if body else []
    if len(items) != n or any(not 2 <= len(it) <= 16 for it in items):
        return []
    out, pos = [], start
    for it in items:
        label, cut = strip_front(it.rstrip("，,"), ("坚持", "做到", "实现"))
        out.append((label, pos + cut, pos + cut + len(label)))
        pos += len(it) + 1
    return out
