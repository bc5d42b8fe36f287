"""The lexicon in use for a build: bundled entries plus the user's, indexed for matching.

User entries (``kg build --lexicon FILE``) win over bundled ones and over rules: a surface form
a user lists is always read as the user says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ahocorasick_rs import AhoCorasick, MatchKind

from kg import resources
from kg.resources import LexEntry


@dataclass
class Lexicon:
    """Surface form -> entry, with an Aho-Corasick automaton of the surface forms for fast scans."""

    entries: list[LexEntry] = field(default_factory=list)
    by_surface: dict[str, LexEntry] = field(default_factory=dict)
    member_of: dict[str, LexEntry] = field(default_factory=dict)  # member label -> its whole
    _lengths: dict[str, list[int]] = field(default_factory=dict)  # first character -> lengths, longest first
    _surfaces: list[str] = field(default_factory=list)  # the surface forms the matcher knows, by index
    _matcher: AhoCorasick | None = None

    def add(self, entry: LexEntry) -> None:
        self.entries.append(entry)
        for surface in (entry.label, *entry.aliases):
            old = self.by_surface.get(surface)
            derived = old is not None and old.source.startswith("member of")
            if old is None or derived or entry.user or (not old.user and surface == entry.label and surface != old.label):
                self.by_surface[surface] = entry
        for member in entry.members:
            self.member_of.setdefault(member, entry)
            if member not in self.by_surface and len(member) >= 4:
                self.by_surface[member] = LexEntry(label=member, cls=entry.cls, source=f"member of {entry.label}")

    def finish(self) -> Lexicon:
        lengths: dict[str, set[int]] = {}
        for surface in self.by_surface:
            if len(surface) >= 2:
                lengths.setdefault(surface[0], set()).add(len(surface))
        self._lengths = {c: sorted(v, reverse=True) for c, v in lengths.items()}
        self._surfaces = sorted(w for w in self.by_surface if len(w) >= 2)
        self._matcher = AhoCorasick(self._surfaces, matchkind=MatchKind.LeftmostLongest) if self._surfaces else None
        return self

    def lookup(self, surface: str) -> LexEntry | None:
        return self.by_surface.get(surface)

    def scan(self, text: str, accept: Callable[[LexEntry], bool] | None = None) -> Iterator[tuple[int, int, LexEntry]]:
        """Longest, leftmost, non-overlapping matches of lexicon surface forms in ``text``
        (only entries ``accept`` takes, when given: a refused long match leaves room for a shorter one).

        An Aho-Corasick automaton (leftmost-longest) finds the matches in one pass; where
        ``accept`` refuses one, the shorter forms at the same place are tried and the rest of
        the text is scanned again from where that leaves off.
        """
        i = 0
        while i < len(text) and self._matcher is not None:
            for index, a, b in self._matcher.find_matches_as_indexes(text[i:] if i else text):
                a, b = a + i, b + i
                entry = self.by_surface[self._surfaces[index]]
                if accept is None or accept(entry):
                    yield a, b, entry
                    continue
                i = a + 1
                for length in self._lengths[text[a]]:
                    shorter = self.by_surface.get(text[a : a + length]) if length < b - a else None
                    if shorter is not None and accept(shorter):
                        yield a, a + length, shorter
                        i = a + length
                        break
                break  # scan again from i: the refused match hid what starts inside it
            else:
                return

    def whole_named_in(self, text: str) -> Callable[[LexEntry], bool]:
        """Accepts every entry but the members of wholes that ``text`` does not name."""

        def accept(entry: LexEntry) -> bool:
            whole = self.member_of.get(entry.label) if entry.source.startswith("member of") else None
            return whole is None or any(name in text for name in (whole.label, *whole.aliases))

        return accept

    def surfaces(self) -> Iterable[str]:
        return self.by_surface.keys()


def load(user_files: Iterable[str | Path] = ()) -> Lexicon:
    """The bundled lexicon plus the user's files, later files winning.

    Raises:
        ValueError: naming the file and line of a malformed user row.
        OSError: when a user file cannot be read.
    """
    lex = Lexicon()
    for entry in resources.bundled_lexicon():
        lex.add(entry)
    for path in user_files:
        for entry in resources.read_lexicon(Path(path), user=True):
            lex.add(entry)
    return lex.finish()
