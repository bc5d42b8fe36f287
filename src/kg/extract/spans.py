"""Shared helpers of the mention rules: making a mention, trimming a span, telling a name from grammar."""

from __future__ import annotations

import re
from functools import cache

from kg import resources
from kg.model import Mention, Sentence

QUOTES = "“”\"'「」『』《》"


NUMERAL = "两二三四五六七八九十"


CJK = re.compile(r"^[\u4e00-\u9fff]+$")
NUMBERED = re.compile(rf"([{NUMERAL}]+)(?:个|大|种|项|条)")  # 三个, 五大: a numeral and a classifier


def mention(s: Sentence, start: int, end: int, label: str, cls: str, rule: str, conf: float, **kw: object) -> Mention:
    return Mention(
        start=s.start + start,
        end=s.start + end,
        surface=s.text[start:end],
        label=label,
        cls=cls,
        rule=rule,
        sentence=s.index,
        confidence=conf,
        **kw,  # type: ignore[arg-type]
    )


def strip_front(label: str, words: tuple[str, ...]) -> tuple[str, int]:
    """``label`` without the ``words`` it starts with (the first of ``words`` that fits, again and
    again, leaving at least two characters), and how many characters were cut."""
    by_first = _by_first_character(words)
    cut = 0
    changed = True
    while changed and label:
        changed = False
        for w in by_first.get(label[0], ()):
            if label.startswith(w) and len(label) - len(w) >= 2:
                label, cut, changed = label[len(w) :], cut + len(w), True
                break
    return label, cut


@cache
def _by_first_character(words: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """``words`` grouped by their first character, each group in the order of ``words``."""
    groups: dict[str, list[str]] = {}
    for w in words:
        if w:
            groups.setdefault(w[0], []).append(w)
    return {c: tuple(ws) for c, ws in groups.items()}


GENERIC_LABELS = re.compile(
    r"^(?:各|这|该|此|其|相关|有关|有效|长效|相应|各项|各类|各种|重要|一批|若干|多种|新的|体制|工作|服务|管理|配套|基层|自身|内部|整体|全面|实施|考核|上述|一系列|系列|多项|多场|参加上述)+"
    r"(?:重大|重点|主要|新|各项|激励|政策)?(?:工作)?(?:机制|制度|体系|平台|模式|格局|建设|活动|计划|改革|工程|项目|品牌|办法|意见|规定|方案)$"
)


_CLAUSE = re.compile(r"[，。；：！？,;:!?]|以及")
_EVENT_VERB = re.compile(r"召开|举行|出席|参加|主持")
_FRAME_WORD = re.compile(r"关于|要以|作为|坚持|围绕")
_MODAL_START = re.compile(r"(?:要|应|须|需|并|且|就|才|能|会)")
_NOT_PRINCIPLE = re.compile(r"(?:的|是|之)$|^(?:这|该|上述|违反|违背)")
_COUNTED_ROLE = re.compile(r"(?:一名|一位|一个|一批|名)")
_FUNCTION_WORD_START = re.compile(r"(?:的|和|与|及|或|等|了|在|对|为|把|将|使|让|从|向|以|于|作为)")


def plausible(label: str, cls: str) -> bool:
    """Reject spans that are grammar, not names: generic heads, clauses, stray punctuation."""
    if GENERIC_LABELS.match(label) or len(label) > 60 or (cls == "Goal" and len(label) < 4):
        return False
    if cls in ("Programme", "Goal", "Principle", "Organization") and _CLAUSE.search(label):
        return False
    if cls == "Programme" and resources.cue_regex("^(?:{PROG_HEAD})$|[和与及](?:{PROG_HEAD})$").search(label):
        return False  # 基础设施和平台: a coordinated noun, not a name with its head
    if "、" in label and cls == "Programme":  # 扁平化、项目化工作机制, not 联系和服务妇女群众、深化妇联改革
        verbs = resources.cue_regex("^(?:{RUN_VERB}|{SERVE_VERB}|{VERB_PREFIX}|{ADV})")
        if any(verbs.match(chunk) for chunk in label.split("、")[1:]):
            return False
    if cls == "Event" and _EVENT_VERB.search(label):
        return False
    if cls == "Organization" and resources.cue_regex("{SPEECH_VERB}|会见|会谈|出席|参加|分别|访问|致电|举行|召开").search(label):
        return False
    if cls in ("Programme", "Organization") and _FRAME_WORD.search(label):
        return False
    if cls == "Organization" and _MODAL_START.match(label):
        return False  # 要加大市委: a modal and a verb before a body
    if cls == "Principle" and _NOT_PRINCIPLE.search(label):
        return False  # 把总书记的要求…, 相互尊重是…原则: not the name of a principle
    if cls == "Principle" and resources.cue_regex("(?:行动|工程|计划|项目)$").search(label):
        return False  # “三年行动”要求: a programme, not a principle
    if cls == "Role" and _COUNTED_ROLE.match(label):
        return False  # 成为一名国际志愿者: a person's role, not a body's
    return not _FUNCTION_WORD_START.match(label)


def numeral_value(label: str) -> int:
    m = NUMBERED.match(label)
    if not m:
        return 0
    digits = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
    return sum(digits.get(c, 0) for c in m.group(1)) if len(m.group(1)) > 1 else digits.get(m.group(1), 0)


def replace_mention(m: Mention, **changes: object) -> Mention:
    from dataclasses import replace

    return replace(m, **changes)  # type: ignore[arg-type]
