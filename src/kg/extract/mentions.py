"""Mentions: spans of a sentence that name an entity, each with the rule that found it.

Three sources, then one overlap resolution (longest span wins, then confidence):
the lexicon (longest match), the regex rules of ``ontology/rules/mentions.jsonl``, and a few
coded rules (persons by title, the Party, numbered wholes, chained quotes, document headings).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator

from kg import resources
from kg.extract.lists import (
    adherence_lists,
    chained_quotes,
    numbered_wholes,
    typed_lists,
    whole_members,
)
from kg.extract.persons import party_in_principles, party_mentions, person_mentions
from kg.extract.spans import QUOTES, mention, plausible, strip_front
from kg.lexicon import Lexicon
from kg.model import Document, Mention, Sentence
from kg.resources import LexEntry
from kg.segment import SentenceTokens


def find_mentions(doc: Document, sentences: tuple[Sentence, ...], lex: Lexicon, tk: object) -> list[Mention]:
    """All mentions of ``doc``, non-overlapping, in text order."""
    found: list[Mention] = []
    from_lexicon = _lexicon_mentions(doc, sentences, lex)
    for s, cands in zip(sentences, from_lexicon, strict=True):
        toks = SentenceTokens(s.text, tk, offset=s.start)
        cands += _rule_mentions(s, lex, toks)
        cands += party_mentions(s, toks)
        cands += person_mentions(s, toks, lex)
        cands += _policy_heading(s, lex)
        cands += typed_lists(s, lex)
        cands += adherence_lists(s)
        kept = _resolve_overlaps(cands)
        kept += chained_quotes(s, kept)
        kept += party_in_principles(s, kept)
        kept += numbered_wholes(s, toks, kept)
        found.extend(sorted(kept, key=lambda m: (m.start, m.end)))
    found += _repeats(found, doc.text, sentences)
    found.sort(key=lambda m: (m.start, m.end))
    found = whole_members(doc, found, sentences, lex)
    return _drop_role_without_cue(found, sentences)


# --------------------------------------------------------------------------- sources


def _lexicon_mentions(doc: Document, sentences: tuple[Sentence, ...], lex: Lexicon) -> list[list[Mention]]:
    """The lexicon's mentions in each sentence: the longest, leftmost names, none overlapping.

    The whole text is scanned at once; a match that crosses a sentence's edge (where a sentence
    was cut at page furniture or into pieces) would not be there in the sentence alone, so such
    a sentence is scanned again on its own. Either way each sentence gets what scanning it alone
    gives.
    """
    accept = lex.whole_named_in(doc.text)
    starts = [s.start for s in sentences]
    spans: list[list[tuple[int, int, LexEntry]]] = [[] for _ in sentences]
    alone: set[int] = set()
    for a, b, entry in lex.scan(doc.text, accept):
        i = bisect_right(starts, a) - 1
        if i >= 0 and b <= sentences[i].end:
            spans[i].append((a, b, entry))
            continue
        for k in range(max(i, 0), bisect_right(starts, b - 1)):  # the sentences it overlaps
            if sentences[k].start < b and a < sentences[k].end:
                alone.add(k)
    for k in alone:
        s = sentences[k]
        spans[k] = [(s.start + a, s.start + b, entry) for a, b, entry in lex.scan(s.text, accept)]
    return [
        [_lexicon_mention(s, a - s.start, b - s.start, entry) for a, b, entry in found]
        for s, found in zip(sentences, spans, strict=True)
    ]


def _lexicon_mention(s: Sentence, start: int, end: int, entry: LexEntry) -> Mention:
    rule = "lexicon.user" if entry.user else ("lexicon.member" if entry.source.startswith("member of") else "lexicon")
    return mention(s, start, end, entry.label, entry.cls, rule, 0.95 if entry.user else 0.9, members=entry.members)


def _rule_mentions(s: Sentence, lex: Lexicon, toks: SentenceTokens) -> Iterator[Mention]:
    """Mentions from the regex rules; a body's or meeting's name starts where a word starts."""
    for rule in resources.rules_for(s.text):  # those whose required words the sentence holds
        for m in rule.regex.finditer(s.text):
            group = next((g for g in m.groupdict() if g.startswith("label") and m.group(g)), None)
            if group is None:
                continue
            start, end = m.span(group)
            label, cut = strip_front(m.group(group), rule.strip)
            start += cut
            label = label.strip(QUOTES + " ")
            if rule.cls in TRIMMED and s.text[m.start(group) - 1 : m.start(group)] != "“":
                cut = _name_stop(label)  # 袁家军从深刻认识四中全会 -> 四中全会
                start, label = start + cut, label[cut:]
            if rule.cls in ("Organization", "Event") and s.start + start not in toks.starts:
                continue  # 亚太经|合组织…会议: a name does not start inside a word
            if rule.cls == "Event" and len(label) < 4:
                continue
            if rule.id in ("prog.quoted-after-verb", "principle.quoted-after-verb") and len(label) < 4:
                continue  # 坚持“拉手”而不是“松手”: a short quoted word after a verb is a figure of speech
            if rule.cls == "Policy" and rule.id == "policy.quoted" and not _policy_title(label):
                continue  # 《求是》, 《长安吟咏》, a speech's title: works, not policy documents
            if rule.cls == "Goal":  # 使妇联组织更加充满活力 -> 充满活力; 推动城市实现高质量发展 -> 高质量发展
                inner = list(resources.cue_regex("更加|{GOAL_VERB}").finditer(label))
                cut = inner[-1].end() if inner and len(label) - inner[-1].end() >= 4 else 0
                start, label = start + cut, label[cut:]
            if len(label) < 2 or not plausible(label, rule.cls):
                continue
            cut = _name_start(label) if rule.cls == "Programme" else 0
            if cut and len(label) - cut >= 4:
                start, label = start + cut, label[cut:]
                if not plausible(label, rule.cls):  # …的工作格局: what is left is no name
                    continue
            short = len(label) < 4 and label not in resources.cue_set("RELATIVE_ORG")
            if rule.cls == "Organization" and short and lex.lookup(label) is None:
                continue  # 以群众为中心 is no body; a lone 委员会 names none
            task = resources.cue_regex("^(?:{RUN_VERB}|{VERB_PREFIX}|{ADV}|善于|纵深)")
            if rule.id == "prog.quoted-own-head" and task.match(label):
                continue  # “完善中国特色社会主义法治体系”: a quoted task, not a programme's name
            if rule.cls == "Goal" and "和" in label:
                for part, offset in _split_goal(label, lex):
                    yield mention(s, start + offset, start + offset + len(part), part, "Goal", rule.id, rule.confidence)
                continue
            if rule.cls == "Organization" and lex.lookup(label) is None:  # 中国邮政储蓄银行“三农”金融事业部: the unit
                parent = next((k for k in range(len(label) - 3, 3, -1) if _is_body(lex, label[:k])), 0)
                if parent and resources.cue_regex("(?:{UNIT_SUFFIX})$").search(label):
                    start, label = start + parent, label[parent:]
            if rule.cls == "Organization" and lex.lookup(label) is None:  # 李强分别会见世界银行 -> 世界银行
                known = next((k for k in range(1, len(label) - 3) if (e := lex.lookup(label[k:])) and e.cls == "Organization"), 0)
                if known:
                    start, label = start + known, label[known:]
            cls = rule.cls
            aliases: tuple[str, ...] = ()
            entry = lex.lookup(label)
            if entry is not None and (entry.user or rule.cls != "Programme" or entry.cls != "Principle"):
                cls, label = entry.cls, entry.label
            head = m.groupdict().get("head")
            if head and cls == rule.cls:
                aliases = (label + head,)
            if rule.cls == "TargetGroup" and label.startswith("广大") and len(label) > 3:
                label, aliases = label[2:], (label,)
            if cls == "Role" and "和" in label and entry is None:  # 助手和后备军 -> 助手, 后备军
                left, right = label.split("和", 1)
                yield mention(s, start, start + len(left), left, cls, rule.id, rule.confidence)
                yield mention(s, end - len(right), end, right, cls, rule.id, rule.confidence)
                continue
            yield mention(s, start, end, label, cls, rule.id, rule.confidence, aliases=aliases)
            if rule.id in ("prog.verb-head", "goal.verb-head"):  # 实施X计划和Y项目: the pair shares the verb
                nxt = _and_next("PROG_HEAD" if cls == "Programme" else "GOAL_HEAD").match(s.text, m.end(group))
                if nxt and plausible(nxt.group("label"), cls):
                    yield mention(s, nxt.start("label"), nxt.end("label"), nxt.group("label"), cls, rule.id, rule.confidence)


def _and_next(heads: str) -> re.Pattern[str]:
    label = r"(?P<label>[\u4e00-\u9fff]{2,18}?(?:{" + heads + r"}))"
    return resources.cue_regex(r"(?:和|及|以及|与)" + label + r"(?=[，。；、,;]|$|等)")


def _name_start(label: str) -> int:
    """Where a long programme's name starts: after its last 的 or 之间, or after the 等 closing a
    list (适合农业农村特点的农村金融体系, 城乡、区域、校地之间人才培养合作与交流机制,
    城市医生教师、科技文化人员等定期服务乡村机制); 0 when it has none (平等 is not a list's 等)."""
    cut = max(label.rfind("的") + 1, label.rfind("之间") + 2 if "之间" in label else 0)
    if "、" in label:
        closing = label.find("等", label.rfind("、"))
        cut = max(cut, closing + 1 if closing > 0 else 0)
    return cut


TRIMMED = ("Organization", "Event", "Programme", "Principle")


def _is_body(lex: Lexicon, name: str) -> bool:
    entry = lex.lookup(name)
    return entry is not None and entry.cls == "Organization"


def _name_stop(label: str) -> int:
    """Where a name starts after the last word that never stands inside a name (0 if none)."""
    stops = list(resources.cue_regex("{NAME_STOP}").finditer(label))
    return stops[-1].end() if stops and len(label) - stops[-1].end() >= 2 else 0


def _policy_title(label: str) -> bool:
    """《…》 names a policy document when its title ends like one (意见, 条例, 规划 …, maybe with
    （试行）/（草案）), or when it is only a short reference (《方案》)."""
    core = re.sub(r"[（(][^）)]{1,12}[）)]$", "", label)
    return bool(resources.cue_regex("(?:{POLICY_TITLE_HEAD})$").search(core))


def _split_goal(label: str, lex: Lexicon) -> list[tuple[str, int]]:
    """男女平等和妇女全面发展 -> 妇女全面发展 (男女平等 is a known principle); 国家治理体系和
    治理能力现代化 stays whole (its first conjunct shares the second's head)."""
    heads = tuple(resources.cue_list("GOAL_HEAD"))
    parts, pos, whole = [], 0, True
    for part in label.split("和"):
        if len(part) >= 4 and part.endswith(heads):
            parts.append((part, pos))
        elif lex.lookup(part) is not None:
            whole = False
        pos += len(part) + 1
    if whole and len(parts) < len(label.split("和")):
        return [(label, 0)] if label.endswith(heads) else []
    return parts


_HEADING = re.compile(
    r"^(?P<issuers>(?:[\u4e00-\u9fff]{2,12}[\s　]+)*[\u4e00-\u9fff]{2,12}?)"
    r"(?P<label>关于[^。，；\n]{2,60}?的(?:意见|决定|通知|方案|规定|办法|指导意见|实施意见))$"
)


def _policy_heading(s: Sentence, lex: Lexicon) -> Iterator[Mention]:
    """A heading line ``ISSUERS关于…的意见``: the document itself, and the bodies that issued it."""
    m = _HEADING.match(s.text) if "关于" in s.text else None
    if not m:
        return
    yield mention(s, m.start("label"), m.end("label"), m.group("label"), "Policy", "policy.title", 0.9,
                   aliases=(s.text,))  # fmt: skip
    pos = 0
    for part in re.split(r"([\s　]+)", m.group("issuers")):
        entry = lex.lookup(part)
        if entry is not None and entry.cls == "Organization":
            yield mention(s, pos, pos + len(part), entry.label, "Organization", "policy.title", 0.9)
        pos += len(part)


REPEAT_CLASSES = ("Programme", "Principle", "Goal", "Policy", "Organization")


def _repeats(found: list[Mention], text: str, sentences: tuple[Sentence, ...]) -> list[Mention]:
    """One name, one thing, in one document: a name a rule found once (推进共青团改革) is a mention
    wherever else it stands in the text (共青团改革必须坚持…), if nothing else is there."""
    names: dict[str, Mention] = {}
    for m in found:
        if m.cls in REPEAT_CLASSES and not m.rule.startswith("lexicon") and len(m.surface) >= 4 and m.surface == m.label:
            names.setdefault(m.surface, m)
    if not names:
        return []
    taken: dict[int, list[tuple[int, int]]] = {}  # sentence index -> spans (spans in two sentences never overlap)
    in_sentence: dict[int, list[Mention]] = {}
    for m in found:
        taken.setdefault(m.sentence, []).append((m.start, m.end))
        in_sentence.setdefault(m.sentence, []).append(m)
    out = []
    for s, a, b in _occurrences(list(names), text, sentences):
        spans = taken.setdefault(s.index, [])
        inside = [m for m in in_sentence.get(s.index, ()) if a <= m.start and m.end <= b and (m.start, m.end) != (a, b)]
        for m in inside:  # 基层妇联组织改革 wins over the 妇联组织 inside it
            found.remove(m)
            in_sentence[s.index].remove(m)
            spans.remove((m.start, m.end))
        if all(b <= x or y <= a for x, y in spans):
            surface = s.text[a - s.start : b - s.start]
            first = names[surface]
            out.append(Mention(a, b, surface, first.label, first.cls, "doc.repeat", s.index, first.confidence))
            spans.append((a, b))
    return out


def _occurrences(names: list[str], text: str, sentences: tuple[Sentence, ...]) -> list[tuple[Sentence, int, int]]:
    """Where ``names`` stand in the sentences of ``text``: leftmost first, the longest where several
    start at one place, none overlapping another; each with its sentence and document offsets.
    (Each name is looked for in the whole text once; an occurrence counts if one sentence holds it.)"""
    starts = [s.start for s in sentences]
    hits = []
    for name in names:
        at = text.find(name)
        while at >= 0:
            i = bisect_right(starts, at) - 1
            if i >= 0 and at + len(name) <= sentences[i].end:
                hits.append((at, -len(name), sentences[i]))
            at = text.find(name, at + 1)
    out = []
    end = -1
    for a, neg, s in sorted(hits, key=lambda h: h[:2]):
        if a >= end:
            end = a - neg
            out.append((s, a, end))
    return out


def _resolve_overlaps(cands: list[Mention]) -> list[Mention]:
    """Keep the longest span where spans overlap; ties go to the more confident rule."""
    if len(cands) < 2:
        return list(cands)
    # a user's lexicon wins over everything; then the longest span, then the more confident rule
    order = sorted(cands, key=lambda m: (m.rule != "lexicon.user", -(m.end - m.start), -m.confidence, m.start, m.rule))
    taken: list[tuple[int, int]] = []
    kept = []
    for m in order:
        if all(m.end <= a or b <= m.start for a, b in taken):
            kept.append(m)
            taken.append((m.start, m.end))
    return kept


def _drop_role_without_cue(found: list[Mention], sentences: tuple[Sentence, ...]) -> list[Mention]:
    """A role word from the lexicon names a role only where a role cue precedes it in its clause."""
    cue = resources.cue_regex("(?:{ROLE_CUE})")
    by_index = {s.index: s for s in sentences}
    out = []
    for m in found:
        if m.cls == "Role" and m.rule.startswith("lexicon"):
            s = by_index[m.sentence]
            clause = re.split(r"[，。；]", s.text[: m.start - s.start])[-1]
            if not cue.search(clause) and not s.text[m.end - s.start :].startswith("作用"):
                continue
        out.append(m)
    return out
