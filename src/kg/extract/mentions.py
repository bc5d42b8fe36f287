"""Mentions: spans of a sentence that name an entity, each with the rule that found it.

Three sources, then one overlap resolution (longest span wins, then confidence):
the lexicon (longest match), the regex rules of ``ontology/rules/mentions.jsonl``, and a few
coded rules (persons by title, the Party, numbered wholes, chained quotes, document headings).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from kg import resources
from kg.lexicon import Lexicon
from kg.model import Document, Mention, Sentence
from kg.segment import tokens

_QUOTES = "“”\"'「」『』《》"
_NUMERAL = "两二三四五六七八九十"
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")


def find_mentions(doc: Document, sentences: tuple[Sentence, ...], lex: Lexicon, tk: object) -> list[Mention]:
    """All mentions of ``doc``, non-overlapping, in text order."""
    found: list[Mention] = []
    for s in sentences:
        cands = list(_lexicon_mentions(s, lex))
        toks = tokens(s.text, tk, offset=s.start)
        cands += _rule_mentions(s, lex, {a for a, _, _ in toks})
        cands += _party_mentions(s, toks)
        cands += _person_mentions(s, toks, lex)
        cands += _policy_heading(s, lex)
        cands += _typed_lists(s)
        cands += _adherence_lists(s)
        kept = _resolve_overlaps(cands)
        kept += _chained_quotes(s, kept)
        kept += _party_in_principles(s, kept)
        kept += _numbered_wholes(s, toks, kept)
        found.extend(sorted(kept, key=lambda m: (m.start, m.end)))
    found += _repeats(found, sentences)
    found.sort(key=lambda m: (m.start, m.end))
    named = {m.label for m in found}
    found = [m for m in found if m.rule != "lexicon.member" or _whole_named(m.label, named, lex)]
    found = _whole_members(doc, found, sentences, lex)
    return _drop_role_without_cue(found, sentences)


# --------------------------------------------------------------------------- sources


def _mention(s: Sentence, start: int, end: int, label: str, cls: str, rule: str, conf: float, **kw: object) -> Mention:
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


def _lexicon_mentions(s: Sentence, lex: Lexicon) -> Iterator[Mention]:
    for start, end, entry in lex.scan(s.text):
        rule = "lexicon.user" if entry.user else ("lexicon.member" if entry.source.startswith("member of") else "lexicon")
        yield _mention(s, start, end, entry.label, entry.cls, rule, 0.95 if entry.user else 0.9, members=entry.members)


def _strip_front(label: str, words: tuple[str, ...]) -> tuple[str, int]:
    cut = 0
    changed = True
    while changed:
        changed = False
        for w in words:
            if label.startswith(w) and len(label) - len(w) >= 2:
                label, cut, changed = label[len(w) :], cut + len(w), True
                break
    return label, cut


def _rule_mentions(s: Sentence, lex: Lexicon, token_starts: set[int]) -> Iterator[Mention]:
    """Mentions from the regex rules; a body's or meeting's name starts where a word starts."""
    for rule in resources.mention_rules():
        for m in rule.regex.finditer(s.text):
            group = next((g for g in m.groupdict() if g.startswith("label") and m.group(g)), None)
            if group is None:
                continue
            start, end = m.span(group)
            label, cut = _strip_front(m.group(group), rule.strip)
            start += cut
            label = label.strip(_QUOTES + " ")
            if rule.cls in TRIMMED and s.text[m.start(group) - 1 : m.start(group)] != "“":
                cut = _name_stop(label)  # 袁家军从深刻认识四中全会 -> 四中全会
                start, label = start + cut, label[cut:]
            if rule.cls in ("Organization", "Event") and s.start + start not in token_starts:
                continue  # 亚太经|合组织…会议: a name does not start inside a word
            if rule.cls == "Event" and len(label) < 4:
                continue
            if rule.id in ("prog.quoted-after-verb", "principle.quoted-after-verb") and len(label) < 4:
                continue  # 坚持“拉手”而不是“松手”: a short quoted word after a verb is a figure of speech
            if rule.cls == "Policy" and rule.id == "policy.quoted" and not _policy_title(label, s.text[m.end():]):
                continue  # 《求是》, 《长安吟咏》, a speech's title: works, not policy documents
            if rule.cls == "Goal":  # 使妇联组织更加充满活力 -> 充满活力; 推动城市实现高质量发展 -> 高质量发展
                inner = list(resources.cue_regex("更加|{GOAL_VERB}").finditer(label))
                cut = inner[-1].end() if inner and len(label) - inner[-1].end() >= 4 else 0
                start, label = start + cut, label[cut:]
            if len(label) < 2 or not _plausible(label, rule.cls):
                continue
            cut = _name_start(label) if rule.cls == "Programme" else 0
            if cut and len(label) - cut >= 4:
                start, label = start + cut, label[cut:]
                if not _plausible(label, rule.cls):  # …的工作格局: what is left is no name
                    continue
            if rule.cls == "Organization" and len(label) < 4 and lex.lookup(label) is None and rule.id == "org.suffix":
                continue  # 以群众为中心 is no body
            if rule.cls == "Goal" and "和" in label:
                for part, offset in _split_goal(label, lex):
                    yield _mention(s, start + offset, start + offset + len(part), part, "Goal", rule.id, rule.confidence)
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
                yield _mention(s, start, start + len(left), left, cls, rule.id, rule.confidence)
                yield _mention(s, end - len(right), end, right, cls, rule.id, rule.confidence)
                continue
            yield _mention(s, start, end, label, cls, rule.id, rule.confidence, aliases=aliases)
            if rule.id in ("prog.verb-head", "goal.verb-head"):  # 实施X计划和Y项目: the pair shares the verb
                nxt = _and_next("PROG_HEAD" if cls == "Programme" else "GOAL_HEAD").match(s.text, m.end(group))
                if nxt and _plausible(nxt.group("label"), cls):
                    yield _mention(s, nxt.start("label"), nxt.end("label"), nxt.group("label"), cls, rule.id, rule.confidence)


_GENERIC_LABELS = re.compile(
    r"^(?:各|这|该|此|其|相关|有关|有效|长效|相应|各项|各类|各种|重要|一批|若干|多种|新的|体制|工作|服务|管理|配套|基层|自身|内部|整体|全面|实施|考核|上述|一系列|系列|多项|多场|参加上述)+"
    r"(?:重大|重点|主要|新|各项|激励|政策)?(?:工作)?(?:机制|制度|体系|平台|模式|格局|建设|活动|计划|改革|工程|项目|品牌|办法|意见|规定|方案)$"
)


def _plausible(label: str, cls: str) -> bool:
    """Reject spans that are grammar, not names: generic heads, clauses, stray punctuation."""
    if _GENERIC_LABELS.match(label) or len(label) > 60 or (cls == "Goal" and len(label) < 4):
        return False
    if cls in ("Programme", "Goal", "Principle", "Organization") and re.search(r"[，。；：！？,;:!?]|以及", label):
        return False
    if cls == "Programme" and resources.cue_regex("^(?:{PROG_HEAD})$|[和与及](?:{PROG_HEAD})$").search(label):
        return False  # 基础设施和平台: a coordinated noun, not a name with its head
    if "、" in label and cls == "Programme":  # 扁平化、项目化工作机制, not 联系和服务妇女群众、深化妇联改革
        verbs = resources.cue_regex("^(?:{RUN_VERB}|{SERVE_VERB}|{VERB_PREFIX}|{ADV})")
        if any(verbs.match(chunk) for chunk in label.split("、")[1:]):
            return False
    if cls == "Event" and re.search(r"召开|举行|出席|参加|主持", label):
        return False
    if cls == "Organization" and resources.cue_regex("{SPEECH_VERB}|会见|会谈|出席|参加|分别|访问|致电|举行|召开").search(label):
        return False
    if cls in ("Programme", "Organization") and re.search(r"关于|要以|作为|坚持|围绕", label):
        return False
    if cls == "Organization" and re.match(r"^(?:要|应|须|需|并|且|就|才|能|会)", label):
        return False  # 要加大市委: a modal and a verb before a body
    return not re.match(r"^(?:的|和|与|及|或|等|了|在|对|为|把|将|使|让|从|向|以|于|作为)", label)


def _and_next(heads: str) -> re.Pattern[str]:
    label = r"(?P<label>[\u4e00-\u9fff]{2,18}?(?:{" + heads + r"}))"
    return resources.cue_regex(r"(?:和|及|以及|与)" + label + r"(?=[，。；、,;]|$|等)")


def _adherence_lists(s: Sentence) -> Iterator[Mention]:
    """坚持工业农业一起抓、城市农村一起抓: the parallel slogans a body holds to, each a principle."""
    for m in re.finditer(r"坚持((?:[\u4e00-\u9fff]{4,8}、)+[\u4e00-\u9fff]{4,8})(?=[，。；,;]|$)", s.text):
        pos = m.start(1)
        verb_phrase = resources.cue_regex("^(?:{RUN_VERB}|{SERVE_VERB}|{VERB_PREFIX}|{PRIN_VERB}|{ADV}|为|把准|立足|直接|有效)")
        for item in m.group(1).split("、"):
            if not verb_phrase.match(item):
                yield _mention(s, pos, pos + len(item), item, "Principle", "principle.adherence-list", 0.55)
            pos += len(item) + 1


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


def _policy_title(label: str, after: str) -> bool:
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


def _party_mentions(s: Sentence, toks: list[tuple[int, int, str]]) -> Iterator[Mention]:
    for start, end, w in toks:
        if w in ("党", "我们党", "我党"):
            yield Mention(start, end, w, "中国共产党", "Organization", "org.party", s.index, 0.85)


def _person_mentions(s: Sentence, toks: list[tuple[int, int, str]], lex: Lexicon) -> Iterator[Mention]:
    titles = set(resources.cue_list("PERSON_TITLE"))
    surnames = str(resources.cues()["SURNAMES"])
    attend = re.compile(r"^[、，]?(?:出席|参加|陪同|会见|作|发言|等|同志|在|表示|指出|强调|主持|说|和|、)")

    def name_at(j: int) -> tuple[int, int, str, int] | None:
        """A person's name starting at token ``j`` (jieba may cut 李红梅 as 李|红梅): start, end, name, next token."""
        if j >= len(toks):
            return None
        a, b, w = toks[j]
        known = lex.lookup(w)
        if known is not None:
            return (a, b, w, j + 1) if known.cls == "Person" else None
        if 2 <= len(w) <= 3 and w[0] in surnames and _CJK.match(w):
            return a, b, w, j + 1
        if len(w) == 1 and w in surnames and j + 1 < len(toks) and 1 <= len(toks[j + 1][2]) <= 2 and _CJK.match(toks[j + 1][2]):
            return a, toks[j + 1][1], w + toks[j + 1][2], j + 2
        return None

    for i, (_start, _end, w) in enumerate(toks):
        if w not in titles:
            continue
        found = name_at(i + 1)
        if found:
            a, b, name, j = found
            after = s.text[b - s.start :]
            if attend.match(after) or not after or re.match(r"^[，。、]", after):
                yield Mention(a, b, name, name, "Person", "person.title", s.index, 0.8)
                # a list of names after the first: 李克强、张德江、俞正声出席
                while j < len(toks) and toks[j][2] == "、" and (more := name_at(j + 1)):
                    a, b, name, j = more
                    yield Mention(a, b, name, name, "Person", "person.list", s.index, 0.75)
        prv = toks[i - 1] if i > 0 else None
        if prv and w in ("总书记", "主席", "同志", "总理", "委员长") and (before := name_at(i - 1)) and before[1] == prv[1]:
            yield Mention(before[0], before[1], before[2], before[2], "Person", "person.title", s.index, 0.8)
    # a list of names that opens a sentence and ends in a verb of attending: 丁薛祥、孙春兰参加谈话
    m = re.match(r"^((?:[\u4e00-\u9fff]{2,3}、)+[\u4e00-\u9fff]{2,3})(?:参加|出席|陪同|分别)", s.text)
    if m:
        pos = 0
        names = m.group(1).split("、")
        if all(n[0] in surnames for n in names):
            for n in names:
                yield _mention(s, pos, pos + len(n), n, "Person", "person.list", 0.7)
                pos += len(n) + 1


_HEADING = re.compile(
    r"^(?P<issuers>(?:[\u4e00-\u9fff]{2,12}[\s　]+)*[\u4e00-\u9fff]{2,12}?)"
    r"(?P<label>关于[^。，；\n]{2,60}?的(?:意见|决定|通知|方案|规定|办法|指导意见|实施意见))$"
)


def _policy_heading(s: Sentence, lex: Lexicon) -> Iterator[Mention]:
    """A heading line ``ISSUERS关于…的意见``: the document itself, and the bodies that issued it."""
    m = _HEADING.match(s.text)
    if not m:
        return
    yield _mention(s, m.start("label"), m.end("label"), m.group("label"), "Policy", "policy.title", 0.9,
                   aliases=(s.text,))  # fmt: skip
    pos = 0
    for part in re.split(r"([\s　]+)", m.group("issuers")):
        entry = lex.lookup(part)
        if entry is not None and entry.cls == "Organization":
            yield _mention(s, pos, pos + len(part), entry.label, "Organization", "policy.title", 0.9)
        pos += len(part)


def _whole_named(member: str, named: set[str], lex: Lexicon) -> bool:
    """A member of a listed whole (创新发展 of 五大发展理念) counts only where the whole is named."""
    whole = lex.member_of.get(member)
    return whole is not None and whole.label in named


@cache
def _typed_list_regex() -> re.Pattern[str]:
    heads = resources.alternation(list(resources.cues()["LIST_HEAD_CLASS"]))
    item = r"[\u4e00-\u9fffA-Za-z0-9+＋—·“”]{2,16}"
    return re.compile(rf"((?:{item}、)+{item})等[\u4e00-\u9fff]{{0,4}}?({heads})(?![\u4e00-\u9fff])")


REPEAT_CLASSES = ("Programme", "Principle", "Goal", "Policy", "Organization")


def _repeats(found: list[Mention], sentences: tuple[Sentence, ...]) -> list[Mention]:
    """One name, one thing, in one document: a name a rule found once (推进共青团改革) is a mention
    wherever else it stands in the text (共青团改革必须坚持…), if nothing else is there."""
    names: dict[str, Mention] = {}
    for m in found:
        if m.cls in REPEAT_CLASSES and not m.rule.startswith("lexicon") and len(m.surface) >= 4 and m.surface == m.label:
            names.setdefault(m.surface, m)
    if not names:
        return []
    pattern = re.compile(resources.alternation(list(names)))
    taken = [(m.start, m.end) for m in found]
    out = []
    for s in sentences:
        for hit in pattern.finditer(s.text):
            a, b = s.start + hit.start(), s.start + hit.end()
            inside = [m for m in found if a <= m.start and m.end <= b and (m.start, m.end) != (a, b)]
            for m in inside:  # 基层妇联组织改革 wins over the 妇联组织 inside it
                found.remove(m)
                taken.remove((m.start, m.end))
            if all(b <= x or y <= a for x, y in taken):
                first = names[hit.group()]
                out.append(Mention(a, b, hit.group(), first.label, first.cls, "doc.repeat", s.index, first.confidence))
                taken.append((a, b))
    return out


def _typed_lists(s: Sentence) -> Iterator[Mention]:
    """``A、B、C等交流平台``: the items of a list closed by 等 + a head noun of known class."""
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
        named_whole = cls in ("Principle", "Programme") and len(whole) >= len(m.group(2)) + 2
        members = []
        for it in items:
            label = it.strip(_QUOTES)
            if 2 <= len(label) <= 16 and _plausible(label, cls):
                members.append(label)
                yield _mention(s, pos, pos + len(it), label, cls, "list.member" if named_whole else "list.typed", 0.55)
            pos += len(it) + 1
        if named_whole and len(members) >= 2 and _plausible(whole, cls):
            yield _mention(s, whole_start, whole_end, whole, cls, "list.whole", 0.6, members=tuple(members))


# --------------------------------------------------------------------------- resolution and structure


def _resolve_overlaps(cands: list[Mention]) -> list[Mention]:
    """Keep the longest span where spans overlap; ties go to the more confident rule."""
    # a user's lexicon wins over everything; then the longest span, then the more confident rule
    order = sorted(cands, key=lambda m: (m.rule != "lexicon.user", -(m.end - m.start), -m.confidence, m.start, m.rule))
    taken: list[tuple[int, int]] = []
    kept = []
    for m in order:
        if all(m.end <= a or b <= m.start for a, b in taken):
            kept.append(m)
            taken.append((m.start, m.end))
    return kept


def _party_in_principles(s: Sentence, kept: list[Mention]) -> list[Mention]:
    """坚持党的领导: the principle names the Party too, as a mention nested inside it."""
    out = []
    for m in kept:
        hit = re.match(r"^(?:坚持)?(党)(?:的|对)", m.surface) if m.cls == "Principle" and "领导" in m.surface else None
        if hit:
            a = m.start + hit.start(1)
            out.append(Mention(a, a + 1, "党", "中国共产党", "Organization", "org.party-in-principle", s.index, 0.85))
    return out


def _chained_quotes(s: Sentence, kept: list[Mention]) -> list[Mention]:
    """A quoted name right after a quoted name of known class shares its class."""
    out = []
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
            out.append(_mention(s, m.start(1), m.end(1), m.group(1), left[0].cls, "quote.chain", 0.75))
    return out


def _numbered_wholes(s: Sentence, toks: list[tuple[int, int, str]], kept: list[Mention]) -> list[Mention]:
    """Candidate numbered wholes (三个特性) not named by the lexicon; kept only if members are found."""
    out = []
    for m in re.finditer(rf"[{_NUMERAL}]+(?:个|大|种|项|条)", s.text):
        a = s.start + m.start()
        if any(k.start <= a < k.end for k in kept):
            continue
        # the head noun: the jieba tokens after the classifier, up to 4 characters
        end = s.start + m.end()
        head = ""
        for ta, _tb, w in toks:
            if ta >= end and ta == end + len(head) and _CJK.match(w) and len(head) + len(w) <= 4:
                head += w
        if len(head) >= 2:
            b = end + len(head)
            out.append(Mention(a, b, s.text[a - s.start : b - s.start], s.text[a - s.start : b - s.start],
                               "Principle", "whole.numbered", s.index, 0.7))  # fmt: skip
    return out


def _whole_members(doc: Document, found: list[Mention], sentences: tuple[Sentence, ...], lex: Lexicon) -> list[Mention]:
    """Give numbered wholes their members; drop coded wholes that have none."""
    out: list[Mention] = []
    dropped: set[tuple[int, int]] = set()
    for i, m in enumerate(found):
        if m.rule == "whole.numbered":
            n = _numeral_value(m.label)
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
                out.append(_replace(m, members=tuple(members)))
            continue
        if m.cls in ("Principle", "Programme") and not m.members:
            listed = _listed_before(doc.text, m) or _listed_after(doc.text, m)
            if listed:
                out.append(_replace(m, members=tuple(x for x, _, _ in listed), rule=m.rule))
                for label, a, b in listed:
                    # a member wins over shorter names inside it (服务职工 over 职工), not over a crossing one
                    if not any(o.start < b and a < o.end and not (a <= o.start and o.end <= b) for o in found):
                        out.append(Mention(a, b, doc.text[a:b], label, m.cls, "whole.listed", m.sentence, 0.6))
                        dropped |= {(o.start, o.end) for o in found if a <= o.start and o.end <= b and (o.start, o.end) != (a, b)}
                continue
        out.append(m)
    return sorted((x for x in out if (x.start, x.end) not in dropped), key=lambda x: (x.start, x.end))


def _listed_before(text: str, whole: Mention) -> list[tuple[str, int, int]]:
    """``A、B、C等X`` or ``A、B、C三大X``: the listed items right before the whole."""
    window = text[max(0, whole.start - 80) : whole.start]
    m = re.search(r"((?:[\u4e00-\u9fff]{2,12}、)+[\u4e00-\u9fff]{2,12})(等)?$", window)
    if not m:
        return []
    n = _numeral_value(whole.label)
    items = m.group(1).split("、")
    if not m.group(2) and not n:
        return []
    run = tuple(resources.cue_list("RUN_VERB")) + tuple(resources.cue_list("PRIN_VERB")) + tuple(resources.cue_list("ADV"))
    first, cut = _strip_front(items[0], run)
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
    n = _numeral_value(whole.label)
    m = re.match(r"[”]?(?:，即|，也就是|：|:|，就是|，包括|即)", text[whole.end : whole.end + 6])
    if not n or not m:
        return []
    start = whole.end + m.end()
    body = re.match(r"[^。；;\n]{2,200}", text[start:])
    items = body.group().split("、") if body else []
    if len(items) != n or any(not 2 <= len(it) <= 16 for it in items):
        return []
    out, pos = [], start
    for it in items:
        label, cut = _strip_front(it.rstrip("，,"), ("坚持", "做到", "实现"))
        out.append((label, pos + cut, pos + cut + len(label)))
        pos += len(it) + 1
    return out


def _numeral_value(label: str) -> int:
    m = re.match(rf"^([{_NUMERAL}]+)(?:个|大|种|项|条)", label)
    if not m:
        return 0
    digits = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
    return sum(digits.get(c, 0) for c in m.group(1)) if len(m.group(1)) > 1 else digits.get(m.group(1), 0)


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


def _replace(m: Mention, **changes: object) -> Mention:
    from dataclasses import replace

    return replace(m, **changes)  # type: ignore[arg-type]
