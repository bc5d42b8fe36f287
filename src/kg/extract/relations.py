"""Relations between the entities of one document, each from one sentence and one rule.

Most relations are a cue word right before an object mention (深化 + programme -> runs,
坚持 + principle -> guidedBy). The subject is the body named as the clause's subject
(``共青团要…``, ``工会、共青团、妇联等群团组织要…``), else the document the sentence
speaks from (``《方案》提出，…``) and the body the text speaks for (the omitted subject).
Domains and ranges come from the ontology: a relation its classes do not allow is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from kg import resources, vocab
from kg.model import Mention, Relation, Sentence
from kg.resolve import Resolved

TOPIC_REACH = 1


def _LIST_GAP() -> re.Pattern[str]:  # noqa: N802 - a constant, compiled once
    """What may stand between two members of a list that share one cue: 、 和 等, a quoted item's
    head (“五位一体”总体布局、协调推进“四个全面”), and the verbs of the next item."""
    return resources.cue_regex(r"(?:”[\u4e00-\u9fff]{0,4})?(?:[、和与及]|等)?(?:{ADV}|{RUN_VERB}|{GOAL_VERB}|协调|统筹)*“?")


_CLAUSE = re.compile(r"[，；：,;:]")
_ASPECT = re.compile(r"[”]?的(?:重要)?(?:方面|组成部分|一部分|内容|环节)")  # …是X的重要方面
_UNDER_PARTY = re.compile(r"在党的领导下|党直接领导的|置于党的领导之下|接受党的领导")
# a principle framed as the measure of an action (_Context.framed)
_BY = re.compile(r"以[^，。；]{0,20}$")  # 以 X …
_AS_MEASURE = re.compile(r"[^，。；]{0,20}?为(?:指导|统领|引领|根本遵循|遵循|主线|基本要求|核心|目标)")  # … 为指导
_HELD = re.compile(r"(?:保持和增强|增强|保持)[^，。；]{0,16}的$")  # 保持和增强…的 X性
_PER = re.compile(r"(?:按照|遵照|根据|落实)[^，。；]{0,10}$")  # 按照 X …
_REQUIREMENT = re.compile(r"[”]?的?(?:要求|精神)")  # … 的要求
_OPENER = re.compile(r"[《“]?(?:各级|全国|广大|我们的|我们|让|在[^，]{0,10}下)?[《“]?")  # may open a clause before its subject
_UNDER = re.compile(r"(?:组织)?(?:工作)?的(?:统一|全面|绝对)?领导")  # X的领导: X leads
_CORE = re.compile(r"以(?P<p>[\u4e00-\u9fff]{2,4})同志为(?:核心|总书记)的(?P<o>党中央)")  # 以习近平同志为核心的党中央


@dataclass(frozen=True)
class _M:
    """A mention with its entity, as the relation rules see it."""

    m: Mention
    iri: str
    cls: str  # the mention's class (read very often, so kept here)


@cache
def _cue(name: str, *, suffix: str = "") -> re.Pattern[str]:
    # the cue, then adverbs and further verbs of a chain (围绕统筹推进“五位一体”, 完善落实…)
    chain = resources.expand("(?:{ADV}|{RUN_VERB}|{GOAL_VERB}|协调|统筹)*")
    quoted = r"(?:[\u4e00-\u9fff]{0,6}?“|[“《])?"  # 实行工作力量“减上补下”: a short object before a quoted name
    return re.compile(resources.expand("(?:{" + name + "})") + r"(?:了|好|起)?" + chain + suffix + quoted + "$")


def find_relations(sentences: tuple[Sentence, ...], mentions: list[Mention], resolved: Resolved) -> list[Relation]:
    """All relations of one document, one per (subject, property, object, sentence)."""
    by_sentence: dict[int, list[_M]] = {}
    for m in mentions:
        iri = resolved.entity_of.get((m.start, m.end))
        if iri:
            by_sentence.setdefault(m.sentence, []).append(_M(m, iri, m.cls))
    classes = {e.iri: e.cls for e in resolved.entities}
    labels = {e.iri: e.label for e in resolved.entities}
    party = next((e.iri for e in resolved.entities if e.cls == "Organization" and e.label == "中国共产党"), None)
    out: dict[tuple[str, str, str, int], Relation] = {}
    found: list[Relation] = list(_wholes(mentions, resolved))
    # The last explicit subject carries over to the next sentences of its paragraph that name
    # none (zero anaphora), for at most TOPIC_REACH sentences, in texts with no focus.
    topic: list[str] = []
    age, previous_end = 0, -1
    for s in sentences:
        age += 1
        if s.start != previous_end or age > TOPIC_REACH:  # a new paragraph, or too far
            topic = []
        previous_end = s.end
        ms = sorted(by_sentence.get(s.index, []), key=lambda x: (x.m.start, x.m.end))
        if not ms and not (party and _UNDER_PARTY.search(s.text)):
            continue  # nothing named: no relation, no subject to carry over
        ctx = _Context(s, ms, resolved.focus, topic)
        found.extend(_sentence_relations(ctx, labels, party))
        if ctx.groups:
            topic, age = ctx.groups[-1][1], 0
    for rel in found:
        if rel.subject == rel.object or not vocab.allowed(rel.property, classes[rel.subject], classes[rel.object]):
            continue
        key = (rel.subject, rel.property, rel.object, rel.sentence)
        if key not in out or out[key].confidence < rel.confidence:
            out[key] = rel
    return sorted(out.values(), key=lambda r: (r.sentence, r.start, r.property, r.subject, r.object))


def _sentence_relations(ctx: _Context, labels: dict[str, str], party: str | None) -> Iterator[Relation]:
    s, ms = ctx.s, ctx.ms

    def rel(subj: str, prop: str, obj: _M | str, rule: str, conf: float, anchor: Mention | None = None) -> Relation:
        a = anchor or (obj.m if isinstance(obj, _M) else None)
        start, end = (a.start, a.end) if a else (s.start, s.end)
        return Relation(subj, prop, obj.iri if isinstance(obj, _M) else obj, s.index, start, end, rule, conf)

    topic = ctx.topic_programme()
    around = ctx.around_principles()
    for x in ms:
        cls = x.cls
        if cls == "Programme" and ctx.cued(x, "RUN_VERB"):
            for subj in ctx.subjects(x, ("Organization",)):
                yield rel(subj, "runs", x, "rel.runs.verb", 0.75)
        elif cls == "Principle" and (ctx.cued(x, "PRIN_VERB") or ctx.framed(x)):
            if x.m.start in around:
                for p in ms:
                    if p.cls == "Programme" and x.m.end < p.m.start < around[x.m.start]:
                        yield rel(p.iri, "guidedBy", x, "rel.guidedBy.around", 0.7)
                continue
            subjects = ctx.subjects(x, ("Organization", "Programme", "Policy"))
            for subj in subjects:
                yield rel(subj, "guidedBy", x, "rel.guidedBy.verb", 0.7)
            if party and re.search(r"党的领导|党对.{0,12}领导", x.m.label):
                for subj in _not_party_organs(subjects, labels):
                    yield rel(subj, "ledBy", party, "rel.ledBy.party", 0.75, x.m)
        elif cls == "Goal" and ctx.cued(x, "GOAL_VERB"):
            purpose = re.search(r"(?:着力|力争|努力|旨在)[^，。；]{0,4}$", ctx.before(x))  # 抓X改革，…，着力Y
            if topic is not None and topic.m.start < x.m.start and purpose:
                yield rel(topic.iri, "pursues", x, "rel.pursues.topic", 0.7)
            else:
                for subj in ctx.subjects(x, ("Organization", "Programme", "Policy")):
                    yield rel(subj, "pursues", x, "rel.pursues.verb", 0.65)
        elif cls == "TargetGroup":
            after = s.text[x.m.end - s.start :]
            served = ctx.before(x).endswith("为") and re.match(r"^(?:提供|办实事|服务|解决|排忧)", after)  # 为X提供…服务
            if ctx.cued(x, "SERVE_VERB") or served:
                for subj in ctx.subjects(x, ("Organization", "Programme")):
                    yield rel(subj, "serves", x, "rel.serves.verb", 0.65)
            for p in ms:
                if p.cls == "Programme" and _named_service(p.m.label, x.m.label):
                    yield rel(p.iri, "serves", x, "rel.serves.named", 0.6)
        elif cls == "Role":
            said_to_be = re.search(r"是[^，。；]{0,20}$", ctx.before(x)) and not any(p < x.m.start for p, _ in ctx.groups)
            for subj in () if said_to_be else ctx.subjects(x, ("Organization",)):  # X是…: X must be named
                yield rel(subj, "hasRole", x, "rel.hasRole.cue", 0.7)
        elif cls == "Policy":
            yield from (rel(x.iri, "issuedBy", o, r, c) for o, r, c in ctx.issuers(x))
    yield from _part_of(s, ms, rel)
    yield from _led_by_title(s, ms, rel)
    if party:
        for subj in _not_party_organs(ctx.under_party(), labels):
            yield rel(subj, "ledBy", party, "rel.ledBy.party", 0.7)
    for leader, governed in ctx.under_body():
        for subj in governed:
            yield rel(subj, "ledBy", leader, "rel.ledBy.over", 0.7)
    for i, (a, b) in enumerate(zip(ms, ms[1:], strict=False)):  # 中国农业银行“三农”金融事业部: a unit of its parent
        unit = resources.cue_regex("(?:{UNIT_SUFFIX})$").search(b.m.label) and b.m.label not in resources.cue_set("LOCAL_BODY")
        if a.cls == b.cls == "Organization" and a.m.end == b.m.start and unit:
            parents = [a]
            for c in reversed(ms[:i]):  # 中国农业银行、中国邮政储蓄银行“三农”金融事业部: each bank's unit
                if c.cls != "Organization" or s.text[c.m.end - s.start : parents[-1].m.start - s.start] != "、":
                    break
                parents.append(c)
            for parent in parents:
                yield rel(b.iri, "partOf", parent, "rel.partOf.unit", 0.65, b.m)
    yield from _cooperation(s, ms, rel)


class _Context:
    """One sentence's mentions, clauses and subjects."""

    def __init__(self, s: Sentence, ms: list[_M], focus: tuple[str, ...], topic: list[str]) -> None:
        self.s, self.ms, self.focus = s, ms, focus
        self.topic = topic  # the paragraph's last explicit subject: the omitted subject where no focus is known
        self.groups = self._subject_groups()
        self.speaker = self._speaker()

    def before(self, x: _M) -> str:
        """The text of ``x``'s clause before it."""
        text = self.s.text[: x.m.start - self.s.start]
        return _CLAUSE.split(text)[-1]

    def cued(self, x: _M, cue: str) -> bool:
        """A cue word right before ``x``, or before the list ``x`` closes (、 “” 和 chains).

        Members of a list closed by their whole (A、B、C三大攻坚战) take no cue: the whole does,
        from the cue before its list."""
        if self.listed_before_whole(x):
            return False
        listed = [p for p in self.ms if p.m.end <= x.m.start and p.m.label in x.m.members and self.listed_before_whole(p)]
        if listed:
            x = listed[0]
        before = self.before(x)
        if _cue(cue).search(before):
            return True
        prev = [p for p in self.ms if p.m.end <= x.m.start and p.cls == x.cls]
        gap = self.s.text[prev[-1].m.end - self.s.start : x.m.start - self.s.start] if prev else None
        if gap is not None and _LIST_GAP().fullmatch(gap):
            return self.cued(prev[-1], cue)
        return False

    def listed_before_whole(self, x: _M) -> bool:
        """``x`` is an item of a list that its whole closes: 精准脱贫 in …、精准脱贫、污染防治三大攻坚战."""
        for w in self.ms:
            if w.m.start >= x.m.end and x.m.label in w.m.members:
                gap = self.s.text[x.m.end - self.s.start : w.m.start - self.s.start]
                return bool(re.fullmatch(r"[、\u4e00-\u9fff“”]{0,40}?等?", gap)) and "，" not in gap
        return False

    def framed(self, x: _M) -> bool:
        """``以 X 为指导``, ``按照 … X 的要求``: a principle framed as the measure of an action."""
        before = self.before(x)
        after = self.s.text[x.m.end - self.s.start :]
        if _BY.search(before) and _AS_MEASURE.match(after):
            return True
        if before.endswith("从") and after.startswith("出发"):
            return True  # 从党和国家工作大局出发: the standpoint one starts from
        if x.m.rule in ("principle.as-requirement", "principle.named-principle"):
            return True  # 把懂农业…作为基本要求, 把…原则体现到各个方面: holding to it is the statement
        if _HELD.search(before) and x.m.label.endswith("性"):
            return True  # 保持和增强党的群团工作的政治性: a property held to
        return bool(_PER.search(before) and _REQUIREMENT.match(after))

    def _subject_groups(self) -> list[tuple[int, list[str]]]:
        """(position, IRIs) of bodies named as a clause's subject: ``X要…``, ``A、B等C要…``."""
        groups = []
        marks = resources.cue_regex(r"^(?:{SUBJECT_MARK}|{SPEECH_VERB})")
        i = 0
        while i < len(self.ms):
            x = self.ms[i]
            if x.cls not in ("Organization", "Policy", "Programme") or not self._clause_start(x):
                i += 1
                continue
            members, j = [x.iri], i
            while j + 1 < len(self.ms) and self.ms[j + 1].cls == "Organization" and re.fullmatch(
                r"[、和与及]|等", self._gap(self.ms[j], self.ms[j + 1])
            ):
                j += 1
                members.append(self.ms[j].iri)
            rest = self.s.text[self.ms[j].m.end - self.s.start :]
            if re.match(marks, rest.lstrip("》”")) and x.cls == "Organization":
                groups.append((x.m.start, members))
            elif x.cls == "Programme" and re.match(r"^(?:必须|要|应当|应|需要)", rest.lstrip("”")):
                groups.append((x.m.start, [x.iri]))  # 共青团改革必须坚持党的领导
            i = j + 1
        return groups

    def _gap(self, a: _M, b: _M) -> str:
        return self.s.text[a.m.end - self.s.start : b.m.start - self.s.start]

    def _clause_start(self, x: _M) -> bool:
        lead = self.before(x)
        return bool(_OPENER.fullmatch(lead)) or lead.endswith(("由", "使"))

    def _speaker(self) -> list[str]:
        """A document that speaks in this sentence: ``《方案》强调，…``."""
        for x in self.ms:
            if x.cls == "Policy" and self._clause_start(x):
                rest = self.s.text[x.m.end - self.s.start :].lstrip("》”")
                if resources.cue_regex("^(?:{SPEECH_VERB})").match(rest):
                    return [x.iri]
        return []

    def subjects(self, x: _M, allowed: tuple[str, ...]) -> list[str]:
        before = [g for pos, g in self.groups if pos < x.m.start]
        after = [g for pos, g in self.groups if pos > x.m.start]
        if before:
            chosen = before[-1]
        elif after and not self.before(x).startswith(("要", "坚持")) and self._fronted(x):
            chosen = after[0]
        else:
            chosen = (list(self.focus) or self.topic) + self.speaker
        classes = {y.iri: y.cls for y in self.ms}
        kept = [c for c in chosen if classes.get(c, "Organization") in allowed or c in self.focus or c in self.topic]
        if not kept and chosen and "Organization" in allowed:  # 共青团改革必须…构建X: the body behind the programme
            kept = [c for c in (list(self.focus) or self.topic) if classes.get(c, "Organization") in allowed]
        return kept

    def _fronted(self, x: _M) -> bool:
        """A cue in a fronted adverbial (在党的领导下，工会…): the subject follows."""
        return bool(re.match(r"^在", self.s.text[: x.m.start - self.s.start].lstrip()))

    def topic_programme(self) -> _M | None:
        """A programme done in the sentence's first clause: ``抓运行机制改革，…``."""
        first = _CLAUSE.split(self.s.text)[0]
        for x in self.ms:
            if x.m.start - self.s.start >= len(first):
                break
            if x.cls == "Programme" and self.cued(x, "RUN_VERB") and len(first) - (x.m.end - self.s.start) <= 2:
                return x
        return None

    def around_principles(self) -> dict[int, int]:
        """``…，围绕创新发展，深化…``: principles opening a clause with 围绕, each framing the
        clauses up to the next such clause (start of the principle -> end of its reach)."""
        if "围绕" not in self.s.text:
            return {}
        opens = [m.end() + self.s.start for m in re.finditer(r"(?:^|[，；,;])(?:[\u4e00-\u9fff]{0,2})?围绕", self.s.text)]
        found = []
        for pos in opens:
            x = next((x for x in self.ms if x.cls == "Principle" and 0 <= x.m.start - pos <= 1), None)
            if x is not None:
                found.append(x.m.start)
        return dict(zip(found, [*found[1:], self.s.end], strict=False))

    def issuers(self, x: _M) -> Iterator[tuple[str, str, float]]:
        if x.m.rule == "policy.title":  # the heading's issuers: 中共中央 国务院关于…的意见
            for o in self.ms:
                if o.cls == "Organization" and o.m.end <= x.m.start:
                    yield o.iri, "rel.issuedBy.title", 0.85
            return
        before = self.before(x)
        if not resources.cue_regex("(?:{ISSUE_VERB})了?[“《]?$").search(before):
            return
        orgs = [o for o in self.ms if o.cls == "Organization" and o.m.end <= x.m.start and o.m.start >= x.m.start - len(before)]
        for o in orgs[-2:]:
            yield o.iri, "rel.issuedBy.verb", 0.8

    def under_party(self) -> list[str]:
        """Bodies said to work under the Party's leadership: ``在党的领导下，工会…``, ``党直接领导的群众组织``."""
        m = _UNDER_PARTY.search(self.s.text)
        return self._governed(self.s.start + m.start()) if m else []

    def under_body(self) -> Iterator[tuple[_M, list[str]]]:
        """``在市委的坚强领导下，区妇联…``: a named body's leadership over the clause's subject."""
        for x in self.ms:
            if x.cls == "Organization" and self.before(x).endswith("在"):
                if re.match(r"^的?(?:坚强|正确|统一|直接)?领导下", self.s.text[x.m.end - self.s.start :]):
                    yield x, [g for g in self._governed(x.m.start) if g != x.iri]

    def _governed(self, pos: int) -> list[str]:
        groups = [g for p, g in self.groups if p > pos] or [g for p, g in self.groups if p < pos]
        return groups[0] if groups else list(self.focus)


def _wholes(mentions: list[Mention], resolved: Resolved) -> Iterator[Relation]:
    """A numbered or listed whole and its members, looked up among the document's entities."""
    names: dict[str, str] = {}
    for e in resolved.entities:
        for name in (e.label, *e.aliases):
            names.setdefault(f"{e.cls}|{name}", e.iri)
    for m in mentions:
        whole = resolved.entity_of.get((m.start, m.end))
        for label in m.members if whole else ():
            member = names.get(f"{m.cls}|{label}") or next(
                (names[f"{c}|{label}"] for c in ("Principle", "Programme", "Goal") if f"{c}|{label}" in names), None
            )
            if member and whole:
                yield Relation(whole, "hasComponent", member, m.sentence, m.start, m.end, "rel.hasComponent.whole", 0.8)


def _part_of(s: Sentence, ms: list[_M], rel: Any) -> Iterator[Relation]:
    progs = [x for x in ms if x.cls == "Programme"]
    clauses = [0] + [m.end() for m in _CLAUSE.finditer(s.text)]

    def clause_of(x: _M) -> int:
        return max(i for i, c in enumerate(clauses) if c <= x.m.start - s.start)

    for b in progs:
        for a in progs:
            if a is b:
                continue
            if (
                re.search(r"品牌$", "".join(b.m.aliases) or b.m.label)
                and re.search(r"(?:行动|工程|计划)$", a.m.label)
                and clause_of(b) == clause_of(a) + 1
            ):
                yield rel(b.iri, "partOf", a, "rel.partOf.brand", 0.6, b.m)
            if len(b.m.label) > len(a.m.label) >= 4 and b.m.label[-2:] == a.m.label[-2:] and _subsequence(a.m.label, b.m.label):
                yield rel(b.iri, "partOf", a, "rel.partOf.specialised", 0.6, b.m)
    if not _ASPECT.search(s.text):
        return
    for a in ms:
        for b in ms:
            if a.m.end <= b.m.start and a.cls == b.cls and a.cls in ("Programme", "Organization"):
                gap = s.text[a.m.end - s.start : b.m.start - s.start]
                if re.fullmatch(r"[”]?(?:作为|是)[“]?", gap) or re.fullmatch(r"[”]?是[“]?", gap):
                    after = s.text[b.m.end - s.start :]
                    if _ASPECT.match(after):
                        yield rel(a.iri, "partOf", b, "rel.partOf.aspect", 0.65, a.m)


def _not_party_organs(subjects: list[str], labels: dict[str, str]) -> list[str]:
    """The Party's own organs (党中央, 党委, 中共中央办公厅) are not said to be led by the Party."""
    return [s for s in subjects if not re.search(r"^(?:中共|中国共产党)|党(?:中央|委|组)", labels.get(s, ""))]


def _named_service(programme: str, group: str) -> bool:
    """阳光关爱, 新型职业农民培育工程: a programme named after the care it gives (to the group)."""
    if re.search("关爱|救助|帮扶|关心", programme):
        return True
    rest = programme.split(group, 1)[1] if group in programme else ""
    return bool(resources.cue_regex("(?:{SERVE_NOUN})").match(rest))


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(c in it for c in short)


def _led_by_title(s: Sentence, ms: list[_M], rel: Any) -> Iterator[Relation]:
    titles = resources.cue_regex(r"^(?:{LEAD_TITLE})(?:、[^、，。；]{1,14}?)*$")
    named = any(x.cls == "Person" for x in ms)
    for i, org in enumerate(ms if named else ()):  # 中共中央总书记习近平: a person after a body and a title
        if org.cls != "Organization":
            continue
        for person in ms[i + 1 : i + 6]:
            if person.cls != "Person":
                continue
            gap = s.text[org.m.end - s.start : person.m.start - s.start]
            if titles.match(gap) and not (org.m.label.endswith("书记处") and gap.startswith("书记")):
                yield rel(org.iri, "ledBy", person, "rel.ledBy.title", 0.75, person.m)
            break
    orgs = [x for x in ms if x.cls == "Organization"]
    for i, led in enumerate(orgs):  # 加大党委和政府对共青团工作的领导: 共青团 ledBy 党委, 政府
        after = s.text[led.m.end - s.start :]
        if _UNDER.match(after):
            leaders: list[_M] = []
            for j in range(i - 1, -1, -1):
                gap = s.text[orgs[j].m.end - s.start : (orgs[j + 1] if j + 1 < i else led).m.start - s.start]
                if gap == "对" or (leaders and gap in ("和", "、", "与")):
                    leaders.append(orgs[j])
                else:
                    break
            for leader in leaders:
                yield rel(led.iri, "ledBy", leader, "rel.ledBy.over", 0.7, led.m)
    for m in _CORE.finditer(s.text) if "同志为" in s.text else ():
        p = next((x for x in ms if x.cls == "Person" and x.m.start - s.start == m.start("p")), None)
        o = next((x for x in ms if x.cls == "Organization" and x.m.start - s.start == m.start("o")), None)
        if p and o:
            yield rel(o.iri, "ledBy", p, "rel.ledBy.title", 0.8, p.m)


def _cooperation(s: Sentence, ms: list[_M], rel: Any) -> Iterator[Relation]:
    cue = resources.cue_regex("(?:{COOP_CUE})")
    orgs = [x for x in ms if x.cls == "Organization"]
    for a, b in zip(orgs, orgs[1:], strict=False):
        gap = s.text[a.m.end - s.start : b.m.start - s.start]
        if re.fullmatch(r"(?:与|同|和|联合|携手)", gap):
            after = _CLAUSE.split(s.text[b.m.end - s.start :])[0]
            if re.search(cue, after) or gap in ("联合", "携手"):
                yield rel(a.iri, "cooperatesWith", b, "rel.cooperatesWith.cue", 0.6, b.m)
