"""Loading the data files kg runs on: the ontology, lexicons, cue lists and rule patterns.

The files live in ``ontology/`` at the top of the repository (installed as ``kg/ontology`` inside
the wheel). Every loader is cached: the files are read once per process.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]

from ahocorasick_rs import AhoCorasick, MatchKind

ENTITY_CLASSES = (
    "Organization", "Person", "Programme", "Principle", "Policy",
    "Goal", "Event", "TargetGroup", "Role", "Place",
)  # fmt: skip


@cache
def data_dir() -> Path:
    """The ontology folder: inside the installed package, else the repository's ``ontology/``."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "ontology", here.parent.parent / "ontology"):
        if (candidate / "kg.ttl").is_file():
            return candidate
    raise FileNotFoundError("kg's ontology folder (ontology/kg.ttl) is missing from the installation")


def ontology_path() -> Path:
    return data_dir() / "kg.ttl"


# --------------------------------------------------------------------------- lexicons


class LexiconError(ValueError):
    """A malformed lexicon file; the message names the file and line."""


@dataclass(frozen=True)
class LexEntry:
    """One lexicon row: a canonical label, its class, aliases and (for listed wholes) members."""

    label: str
    cls: str
    aliases: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    source: str = ""
    user: bool = False


def read_lexicon(path: Path, *, user: bool = False) -> list[LexEntry]:
    """Read a lexicon TSV (``label  type  aliases  members  source``; see ontology/lexicon/README.md).

    Raises:
        ValueError: naming the file and line of a malformed row.
    """
    entries = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        for lineno, row in enumerate(csv.reader(f, delimiter="\t"), 1):
            if not row or not row[0].strip() or row[0].startswith("#") or (lineno == 1 and row[0] == "label"):
                continue
            if len(row) < 2:
                raise LexiconError(f"{path}:{lineno}: a lexicon row needs at least 'label<TAB>type'")
            row = [c.strip() for c in row] + [""] * (5 - len(row))
            label, cls, aliases, members, source = row[:5]
            if cls not in ENTITY_CLASSES:
                raise LexiconError(f"{path}:{lineno}: unknown type {cls!r} (one of {', '.join(ENTITY_CLASSES)})")
            entries.append(
                LexEntry(
                    label=label,
                    cls=cls,
                    aliases=tuple(a for a in aliases.split("|") if a and a != label),
                    members=tuple(m for m in members.split("|") if m),
                    source=source,
                    user=user,
                )
            )
    return entries


@cache
def bundled_lexicon() -> tuple[LexEntry, ...]:
    folder = data_dir() / "lexicon"
    entries: list[LexEntry] = []
    for path in sorted(folder.glob("*.tsv")):
        entries.extend(read_lexicon(path))
    return tuple(entries)


# --------------------------------------------------------------------------- cues and rules


@cache
def cues() -> dict[str, list[str] | str]:
    data: dict[str, list[str] | str] = json.loads((data_dir() / "rules" / "cues.json").read_text("utf-8"))
    return data


@cache
def cue_set(name: str) -> frozenset[str]:
    """A cue list as a set, for membership tests on hot paths."""
    return frozenset(cue_list(name))


def cue_list(name: str) -> list[str]:
    value = cues()[name]
    return list(value) if isinstance(value, list) else [value]


def alternation(words: list[str]) -> str:
    """A regex alternation of literal words that tries the longest first (so 建立健全 wins over 建立).

    The words are written as a trie (``湖(?:北省?|南省?)``): it matches exactly what the plain
    longest-first alternation matches, in the same order of preference, but the regex engine
    tries one branch per next character instead of every word in turn.
    """
    trie: dict[str, dict] = {}
    for w in set(words):
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here
    return _trie_regex(trie)


def _trie_regex(node: dict[str, dict]) -> str:
    branches = [re.escape(ch) + _trie_regex(sub) for ch, sub in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" not in node:
        return body
    # a word ends here and longer ones go on: the longer are tried first (greedy), then this one
    return body + "?" if len(branches) == 1 and len(body) == 1 else f"(?:{body})?"


_LB_PUNCT = "(?:(?<=^)|(?<=[，。；、：！？,;:!?\\s“”（）()《》]))"


def expand(pattern: str, extra: dict[str, list[str]] | None = None) -> str:
    """Replace ``{NAME}`` by the cue list NAME and ``{LB:NAME}`` by a lookbehind on it."""

    def repl(m: re.Match[str]) -> str:
        key = m.group(1)
        if key == "LB":
            return _LB_PUNCT
        if key.startswith("LB:"):
            return "(?:" + "|".join(f"(?<={re.escape(w)})" for w in sorted(set(_words(key[3:], extra)))) + ")"
        return "(?:" + alternation(_words(key, extra)) + ")"

    return re.sub(r"\{(LB(?::[A-Z_]+)?|[A-Z_]+)\}", repl, pattern)


@cache
def cue_regex(pattern: str) -> re.Pattern[str]:
    """``expand(pattern)`` compiled, once per process."""
    return re.compile(expand(pattern))


def _words(name: str, extra: dict[str, list[str]] | None) -> list[str]:
    if extra and name in extra:
        return extra[name]
    return cue_list(name)


@dataclass(frozen=True)
class MentionRule:
    """A regex rule: matches name a thing of class ``cls``; ``family`` says which sentences it serves."""

    id: str
    cls: str
    family: str
    regex: re.Pattern[str]
    confidence: float
    strip: tuple[str, ...] = ()
    needs: frozenset[str] = frozenset()  # words one of which every match of ``regex`` holds (see required_words)


@cache
def mention_rules() -> tuple[MentionRule, ...]:
    places = [w for e in bundled_lexicon() if e.cls == "Place" for w in (e.label, *e.aliases) if len(w) >= 2]
    extra = {"PLACE": places or ["天津市"]}
    rules = []
    path = data_dir() / "rules" / "mentions.jsonl"
    for lineno, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        raw = json.loads(line)
        try:
            regex = re.compile(expand(raw["pattern"], extra))
        except re.error as exc:
            raise ValueError(f"{path}:{lineno}: rule {raw.get('id')}: bad pattern ({exc})") from None
        strip = tuple(w for name in raw.get("strip", "").split("|") if name for w in cue_list(name))
        needs = required_words(regex)
        rules.append(
            MentionRule(
                id=raw["id"],
                cls=raw["cls"],
                family=raw["family"],
                regex=regex,
                confidence=float(raw.get("confidence", 0.6)),
                strip=tuple(sorted(set(strip), key=len, reverse=True)),
                needs=needs,
            )
        )
    return tuple(rules)


def required_words(regex: re.Pattern[str]) -> frozenset[str]:
    """Words one of which is in every string ``regex`` finds a match in; empty when none can be told.

    A text holding none of them cannot match, so the rule need not run there (most sentences hold
    no organisational suffix, no quotation mark, no meeting's name). The words are read off the
    parsed pattern: runs of parts that match one of a few fixed strings (a literal, an alternation
    of literals such as a cue list) give the strings they can spell; alternations whose every
    branch requires a word, and repeats of at least once, give what they require. Of the sets a
    sequence requires, the one with the longest shortest word is kept (then the smallest).
    Lookarounds are left out, so the words hold for any pattern.
    """
    if regex.flags & re.IGNORECASE:
        return frozenset()
    words = _required(list(_parser.parse(regex.pattern))) or frozenset()
    return frozenset(w for w in words if not any(v != w and v in w for v in words))  # 党的十九大 holds 十九大


def may_match(needs: frozenset[str], text: str) -> bool:
    """``text`` holds one of ``needs`` (a rule's :func:`required_words`), or the rule needs none:
    only then can the rule match in it."""
    return not needs or any(w in text for w in needs)


def anchored(regex: re.Pattern[str]) -> bool:
    """``regex`` can match only at the start of a string (it begins with ``^`` or ``\\A``, outside
    any alternation, and is not MULTILINE): ``match`` finds what ``search`` would."""
    parsed = list(_parser.parse(regex.pattern))
    return bool(parsed) and parsed[0][0] is _c.AT and parsed[0][1] in (_c.AT_BEGINNING, _c.AT_BEGINNING_STRING) and not (
        regex.flags & re.MULTILINE and parsed[0][1] is _c.AT_BEGINNING
    )


_MAX_SPELLED = 400  # a run spelling more strings than this is not spelled out


def _spelled(op: object, av: object) -> frozenset[str] | None:
    """The strings a pattern part can match, when they are a few fixed ones (else None)."""
    if op is _c.LITERAL:
        return frozenset(chr(av))  # type: ignore[arg-type]
    if op is _c.IN and all(o is _c.LITERAL for o, _ in av):  # type: ignore[attr-defined]
        return frozenset(chr(v) for _, v in av)  # type: ignore[attr-defined]
    if op is _c.SUBPATTERN:
        return _spelled_seq(list(av[3]))  # type: ignore[index]
    if op is _c.BRANCH:
        branches = [_spelled_seq(list(b)) for b in av[1]]  # type: ignore[index]
        return None if any(b is None for b in branches) else frozenset().union(*branches)  # type: ignore[arg-type]
    if op is _c.MAX_REPEAT and av[0] == 0 and av[1] == 1:  # type: ignore[index]
        inner = _spelled_seq(list(av[2]))  # type: ignore[index]
        return None if inner is None else inner | {""}
    return None


def _spelled_seq(items: list[tuple[object, object]]) -> frozenset[str] | None:
    out = frozenset([""])
    for op, av in items:
        part = _spelled(op, av)
        if part is None or len(out) * len(part) > _MAX_SPELLED:
            return None
        out = frozenset(a + b for a in out for b in part)
    return out


def _required(items: list[tuple[object, object]]) -> frozenset[str] | None:
    sets: list[frozenset[str]] = []
    run = frozenset([""])
    for op, av in items:
        part = _spelled(op, av)
        if part is not None and len(run) * len(part) <= _MAX_SPELLED:
            run = frozenset(a + b for a in run for b in part)  # the run spells on
            continue
        if "" not in run:
            sets.append(run)
        if part is not None:  # too many strings with what came before: a new run starts here
            run = part
            continue
        run = frozenset([""])
        got: frozenset[str] | None = None
        if op is _c.SUBPATTERN:
            got = _required(list(av[3]))  # type: ignore[index]
        elif op is _c.BRANCH:
            branches = [_required(list(b)) for b in av[1]]  # type: ignore[index]
            if all(branches):
                got = frozenset().union(*branches)  # type: ignore[arg-type]
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:  # type: ignore[index]
            got = _required(list(av[2]))  # type: ignore[index]
        if got:
            sets.append(got)
    if "" not in run:
        sets.append(run)
    return max(sets, key=lambda s: (min(map(len, s)), -len(s), sorted(s))) if sets else None


def rules_for(text: str) -> list[MentionRule]:
    """The mention rules that can match in ``text``, in their order: those it holds a required word of."""
    automaton, needed_by, always = _rule_index()
    rules = mention_rules()
    found = automaton.find_matches_as_indexes(text, overlapping=True)
    if not found:
        return [rules[i] for i in always]
    return [rules[i] for i in sorted({i for word, _, _ in found for i in needed_by[word]}.union(always))]


@cache
def _rule_index() -> tuple[AhoCorasick, list[tuple[int, ...]], tuple[int, ...]]:
    """An automaton of every rule's required words; for each word the rules needing it; the rules needing none."""
    rules = mention_rules()
    words = sorted({w for rule in rules for w in rule.needs})
    needed_by = [tuple(i for i, r in enumerate(rules) if w in r.needs) for w in words]
    always = tuple(i for i, r in enumerate(rules) if not r.needs)
    return AhoCorasick(words or ["\0"], matchkind=MatchKind.Standard), needed_by, always


@dataclass(frozen=True)
class FurnitureRules:
    line_start: re.Pattern[str]  # any of the whole-line rules that match at a line's start
    line_any: tuple[tuple[re.Pattern[str], frozenset[str]], ...]  # each other whole-line rule, with its required words
    inline: tuple[tuple[re.Pattern[str], frozenset[str]], ...]  # each inline rule, with its required words
    tail_start: re.Pattern[str]


@cache
def furniture_rules() -> FurnitureRules:
    raw = json.loads((data_dir() / "rules" / "furniture.json").read_text("utf-8"))
    lines = [re.compile(p) for p in raw["lines"]]
    inline = [re.compile(p) for p in raw["inline"]]
    at_start = [r.pattern for r in lines if anchored(r)]
    return FurnitureRules(
        line_start=re.compile("|".join(f"(?:{p})" for p in at_start) or "(?!)"),
        line_any=tuple((r, required_words(r)) for r in lines if not anchored(r)),
        inline=tuple((r, required_words(r)) for r in inline),
        tail_start=re.compile(raw["tail_start"]),
    )


@cache
def rule_families() -> dict[str, str]:
    """Rule id -> the family of sentences it serves, for every rule (regex and coded)."""
    families = {r.id: r.family for r in mention_rules()}
    coded = json.loads((data_dir() / "rules" / "coded_rules.json").read_text("utf-8"))
    families.update({k: v for k, v in coded.items() if not k.startswith("about")})
    return families
