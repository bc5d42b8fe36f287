"""Mentions to entities: one entity per thing the document names, with a stable IRI.

Within a document, other spellings of one thing become aliases of one entity:
lexicon abbreviations (团中央 -> 共青团中央), short names of the body the text speaks for
(妇联 -> 天津市妇联 when the author is 天津市妇联), bodies named relative to the text's region
(市委 -> 天津市委) and short references to a document (《方案》 -> 《共青团中央改革方案》).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from kg import resources
from kg.lexicon import Lexicon
from kg.model import Document, Entity, Mention

DEFAULT_BASE = "https://w3id.org/kg-policy/id/"
_UNSTORED = re.compile(r"[\s“”‘’\"'「」『』《》〈〉]")  # quotes and spaces, left out of stored labels
_FULLWIDTH = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff0b]")  # full-width digits, letters, +
_CLASS_SLUG = {c: c.lower() for c in resources.ENTITY_CLASSES}


@dataclass(frozen=True)
class Resolved:
    """Entities of one document, the entity of each mention, and the bodies the text speaks for."""

    entities: tuple[Entity, ...]
    entity_of: dict[tuple[int, int], str]  # mention span -> entity IRI
    focus: tuple[str, ...]


@lru_cache(maxsize=1 << 16)
def normalise_label(label: str) -> str:
    """The form a label is stored and compared in: NFKC (full-width Latin -> ASCII), no quotes or spaces."""
    label = _FULLWIDTH.sub(lambda m: unicodedata.normalize("NFKC", m.group()), label)
    return _UNSTORED.sub("", label)


@lru_cache(maxsize=1 << 16)
def entity_iri(cls: str, label: str, base: str = DEFAULT_BASE, *, scope: str = "") -> str:
    """The IRI of the entity of class ``cls`` labelled ``label``: the same in every document,
    except for bodies named only locally (政府, 妇联 …), which get one IRI per document ``scope``."""
    local = f"{quote(scope, safe='')}/" if scope else ""
    return f"{base}{_CLASS_SLUG[cls]}/{local}{quote(normalise_label(label), safe='')}"


def resolve(doc: Document, mentions: list[Mention], lex: Lexicon, *, base: str = DEFAULT_BASE) -> Resolved:
    """Group ``mentions`` into entities and find the document's focus organisations."""
    canon = {(m.start, m.end): (m.cls, normalise_label(m.label)) for m in mentions}
    orgs = {label for cls, label in canon.values() if cls == "Organization"}
    focus = _focus_labels(doc, mentions, lex, orgs)

    # rewrite generic, relative and short names to the entity they stand for here
    region = _region(focus, lex)
    policies = sorted({label for cls, label in canon.values() if cls == "Policy"}, key=len, reverse=True)
    generic = resources.cue_list("GENERIC_BODY")
    relative = resources.cue_set("RELATIVE_ORG")
    for span, (cls, label) in list(canon.items()):
        if cls == "Organization":
            target = _generic_target(label, generic, focus, lex) or _relative_target(label, region)
            if target:
                canon[span] = (cls, target)
        elif cls == "Policy":
            longer = next((p for p in policies if p != label and p.endswith(label) and len(label) <= 6), None)
            if longer:
                canon[span] = (cls, longer)

    groups: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    for m in mentions:
        groups[canon[(m.start, m.end)]].append(m)
    entities = []
    entity_of: dict[tuple[int, int], str] = {}
    for (cls, label), ms in sorted(groups.items()):
        local = cls == "Organization" and (label in resources.cue_set("LOCAL_BODY") or label in relative)
        iri = entity_iri(cls, label, base, scope=doc.id if local else "")
        aliases = {normalise_label(m.surface) for m in ms} | {normalise_label(a) for m in ms for a in m.aliases}
        entry = lex.lookup(label)
        if entry is not None and entry.label == label:
            aliases |= set(entry.aliases)
        aliases.discard(label)
        conf = max(m.confidence for m in ms)
        conf = round(min(0.99, conf + 0.02 * (len(ms) - 1)), 2)
        entities.append(
            Entity(iri=iri, cls=cls, label=label, aliases=tuple(sorted(a for a in aliases if a)),
                   mentions=tuple(sorted(ms, key=lambda m: m.start)), confidence=conf)  # fmt: skip
        )
        for m in ms:
            entity_of[(m.start, m.end)] = iri
    by_label = {e.label: e.iri for e in entities if e.cls == "Organization"}
    focus_iris = tuple(sorted({by_label[f] for f in focus if f in by_label}))
    return Resolved(entities=tuple(entities), entity_of=entity_of, focus=focus_iris)


def _focus_labels(doc: Document, mentions: list[Mention], lex: Lexicon, orgs: set[str]) -> list[str]:
    """The organisations the text speaks for: its author line, its issuers, or the body in its title."""
    text = doc.text
    author = re.search(r"[（(]\s*作者(?:为|是|系|单位)?[:：]?\s*([^）)\n]{2,60})[）)]|作者[:：]\s*(\S{2,40})", text)
    if author:
        a, b = author.span()
        found = [normalise_label(m.label) for m in mentions if m.cls == "Organization" and a <= m.start < b]
        if found:
            return found[:1]
    headings = {(m.sentence, m.start) for m in mentions if m.rule == "policy.title" and m.cls == "Policy"}
    issuers = [normalise_label(m.label) for m in mentions
               if m.cls == "Organization" and any(m.sentence == s and m.end <= start for s, start in headings)]  # fmt: skip
    if issuers:
        return sorted(set(issuers), key=issuers.index)
    title = doc.title
    if title:
        title = re.sub(r"[\s　]+", "", title)
        issued = re.search(r"印发|发布|出台", title)
        names = []  # (position, length, label) of every name of a body of the text found in the title
        for label in sorted(orgs):
            entry = lex.lookup(label)
            for name in {label, *(entry.aliases if entry is not None and entry.label == label else ())}:
                at = title.find(name)
                if len(name) >= 3 and at >= 0 and not (issued and at < issued.start()):
                    names.append((at, len(name), label))
        taken: list[tuple[int, int]] = []
        found = []
        for at, n, label in sorted(names, key=lambda x: (-x[1], x[0])):
            if all(at + n <= a or b <= at for a, b in taken) and label not in found:
                taken.append((at, at + n))
                found.append(label)
        if found:
            return found[:2]
    # a news report of a document: 国务院办公厅印发《…意见》: the issuer speaks through it
    first = min((m.sentence for m in mentions), default=-1)
    for m in mentions:
        if m.sentence == first and m.cls == "Policy":
            lead = text[max(0, m.start - 12) : m.start]
            body = [o for o in mentions if o.cls == "Organization" and o.sentence == first and o.end <= m.start]
            if body and re.search(r"(?:印发|发布|出台|颁布)了?[《“]?$", lead):
                listed = [body[-1]]  # 中共中央、国务院印发了…: every body of the list
                for o in reversed(body[:-1]):
                    if text[o.end : listed[-1].start] not in ("、", "和", "与", " ", "　"):
                        break
                    listed.append(o)
                return [normalise_label(o.label) for o in reversed(listed)]
    return []


def _generic_target(label: str, generic: list[str], focus: list[str], lex: Lexicon) -> str | None:
    """妇联 / 妇联组织 stand for the focus body whose name ends in 妇联, if there is one."""
    if label not in generic:
        return None
    core = re.sub(r"组织$", "", label)
    for f in focus:
        names = [f]
        entry = lex.lookup(f)
        if entry is not None:
            names += list(entry.aliases)
        if any(n.endswith(core) and n != core for n in names):
            return f
    return core if core != label and core in generic else None  # 工会组织 is 工会


def _region(focus: list[str], lex: Lexicon) -> str:
    """The region of the text: the place its focus body is named after (天津市妇联 -> 天津市)."""
    for f in focus:
        for length in range(min(len(f) - 1, 9), 1, -1):
            entry = lex.lookup(f[:length])
            if entry is not None and entry.cls == "Place":
                return entry.label
        m = re.match(r"^[\u4e00-\u9fff]{2,4}?(?:省|市|区|县)", f)
        if m:
            return m.group()
    return ""


def _relative_target(label: str, region: str) -> str | None:
    """市委 in a text about 天津市 is 天津市委; 省委 needs a province."""
    if label not in resources.cue_set("RELATIVE_ORG") or not region:
        return None
    level = label[0]
    if label.startswith("团"):
        level = label[1]
        return region + "团" + label[2:] if region.endswith(level) else None
    return region + label[1:] if region.endswith(level) else None

