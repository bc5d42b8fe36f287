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
    """A regex alternation of literal words, longest first (so 建立健全 wins over 建立)."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


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
        rules.append(
            MentionRule(
                id=raw["id"],
                cls=raw["cls"],
                family=raw["family"],
                regex=regex,
                confidence=float(raw.get("confidence", 0.6)),
                strip=tuple(sorted(set(strip), key=len, reverse=True)),
            )
        )
    return tuple(rules)


@dataclass(frozen=True)
class FurnitureRules:
    lines: tuple[re.Pattern[str], ...]
    inline: tuple[re.Pattern[str], ...]
    tail_start: re.Pattern[str]


@cache
def furniture_rules() -> FurnitureRules:
    raw = json.loads((data_dir() / "rules" / "furniture.json").read_text("utf-8"))
    return FurnitureRules(
        lines=tuple(re.compile(p) for p in raw["lines"]),
        inline=tuple(re.compile(p) for p in raw["inline"]),
        tail_start=re.compile(raw["tail_start"]),
    )


@cache
def rule_families() -> dict[str, str]:
    """Rule id -> the family of sentences it serves, for every rule (regex and coded)."""
    families = {r.id: r.family for r in mention_rules()}
    coded = json.loads((data_dir() / "rules" / "coded_rules.json").read_text("utf-8"))
    families.update({k: v for k, v in coded.items() if not k.startswith("about")})
    return families
