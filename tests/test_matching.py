"""The matching primitives that keep extraction fast must match exactly what the plain forms do.

- ``resources.alternation`` writes a word list as a trie: same matches as ``a|b|c`` longest first;
- ``resources.required_words``: a rule is skipped where none of these words stands, so every
  match of every rule must hold one of them;
- ``Lexicon.scan``: leftmost-longest, and a refused match leaves room for shorter ones.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from kg import resources
from kg.lexicon import Lexicon
from kg.model import Document
from kg.resources import LexEntry
from kg.segment import sentences


def _plain(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


_WORDS = st.lists(st.text(alphabet="湖北南省市委a.*", min_size=1, max_size=4), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(words=_WORDS, text=st.text(alphabet="湖北南省市委a.*x", max_size=30))
def test_trie_alternation_matches_as_the_longest_first_alternation(words: list[str], text: str) -> None:
    trie, plain = re.compile(resources.alternation(words)), re.compile(_plain(words))
    assert [m.span() for m in trie.finditer(text)] == [m.span() for m in plain.finditer(text)]
    # inside a larger pattern, backtracking into shorter words gives the same too
    trie2, plain2 = re.compile(f"(?:{trie.pattern})省委"), re.compile(f"(?:{plain.pattern})省委")
    assert [m.span() for m in trie2.finditer(text)] == [m.span() for m in plain2.finditer(text)]


def test_trie_alternation_prefers_the_longer_word() -> None:
    assert re.fullmatch(resources.alternation(["建立", "建立健全", "建设"]), "建立健全")
    assert re.match(resources.alternation(["建立", "建立健全"]), "建立健全机制").group() == "建立健全"


def test_required_words_of_hand_written_patterns() -> None:
    def words(pattern: str) -> set[str]:
        return set(resources.required_words(re.compile(pattern)))

    assert words(r"“(?P<label>[^”]{2,10})”") == {"”"}  # the longest shortest word: both are one character
    assert words(r"(?:坚持|坚定)(?P<label>\w{2,8}?)(?:原则|方针)") in ({"原则", "方针"}, {"坚持", "坚定"})
    assert words(r"(?:坚持|坚定)(?P<label>\w{2,8}?)(?:根本原则|总方针)") == {"根本原则", "总方针"}  # longer words
    assert words(r"(?:中国|美国)(?:政府|人大)") == {"中国政府", "中国人大", "美国政府", "美国人大"}
    assert words(r"(?P<a>党委)|(?P<b>政府)") == {"党委", "政府"}
    assert words(r"(?:党的)?(?:十九|二十)大") == {"十九大", "二十大"}
    assert words(r"\w+") == set()  # nothing can be told
    assert words(r"(?:a|\w)b") == {"b"}
    assert words(r"(?i)abc") == set()  # case-insensitive: a literal test would be wrong


def test_every_rule_match_holds_a_required_word(corpus_documents: list[Document]) -> None:
    """The rules run only where a required word stands: on the corpus, no match is lost that way."""
    texts = [s.text for doc in corpus_documents for s in sentences(doc)]
    for text in texts:
        runs = {r.id for r in resources.rules_for(text)}
        for rule in resources.mention_rules():
            if rule.regex.search(text):
                assert rule.id in runs, f"{rule.id} matches {text!r} but is not run there"
                assert not rule.needs or any(w in text for w in rule.needs)


def test_anchored_patterns() -> None:
    def anchored(pattern: str) -> bool:
        return resources.anchored(re.compile(pattern))

    assert anchored(r"^分享到") and anchored(r"\A(上一篇|下一篇)") and anchored(r"^(打印|关闭)$")
    assert not anchored(r"^来源|责任编辑")  # the second branch may match anywhere
    assert not anchored(r"(?m)^来源")  # at any line's start
    assert not anchored(r"\|\s*20\d\d") and not anchored(r"来源^") and not anchored("")


def test_furniture_lines_are_those_any_line_rule_finds(corpus_documents: list[Document]) -> None:
    """Line rules split into those matched at a line's start and the others: on the corpus, the
    lines taken are those the rules, searched as one alternation, would take."""
    import json

    raw = json.loads((resources.data_dir() / "rules" / "furniture.json").read_text("utf-8"))
    every = re.compile("|".join(f"(?:{p})" for p in raw["lines"]))
    rules = resources.furniture_rules()
    lines = {line.strip() for doc in corpus_documents for line in doc.text.split("\n")} - {""}
    assert sum(1 for line in lines if every.search(line)) > 20
    for line in lines:
        split = bool(rules.line_start.match(line) or any(r.search(line) for r, _ in rules.line_any))
        assert split == bool(every.search(line)), line
        assert all(any(w in line for w in needs) for r, needs in rules.line_any if r.search(line))


def _lexicon(*entries: LexEntry) -> Lexicon:
    lex = Lexicon()
    for e in entries:
        lex.add(e)
    return lex.finish()


def test_scan_is_leftmost_longest() -> None:
    lex = _lexicon(LexEntry("天津市", "Place"), LexEntry("天津市妇联", "Organization"), LexEntry("妇联", "Organization"))
    assert [(a, b, e.label) for a, b, e in lex.scan("天津市妇联和妇联")] == [(0, 5, "天津市妇联"), (6, 8, "妇联")]


def test_a_refused_match_leaves_room_for_shorter_and_inner_ones() -> None:
    lex = _lexicon(LexEntry("五大发展理念", "Principle"), LexEntry("五大发展", "Goal"), LexEntry("发展理念", "Principle"))

    def refuse(entry: LexEntry) -> bool:
        return entry.label != "五大发展理念"

    assert [(a, b, e.label) for a, b, e in lex.scan("贯彻五大发展理念", refuse)] == [(2, 6, "五大发展")]
    no_prefix = _lexicon(LexEntry("五大发展理念", "Principle"), LexEntry("发展理念", "Principle"))
    assert [(a, b, e.label) for a, b, e in no_prefix.scan("贯彻五大发展理念", refuse)] == [(4, 8, "发展理念")]
    assert list(_lexicon().scan("任何文字")) == []


def test_lexicon_mentions_of_a_text_are_those_of_each_sentence_alone() -> None:
    """One scan of the whole text gives each sentence what scanning it alone gives, also where a
    name crosses the edge of a sentence cut short (page furniture, a 2000-character piece)."""
    from kg.extract.mentions import _lexicon_mentions
    from kg.model import Sentence

    lex = _lexicon(LexEntry("天津市", "Place"), LexEntry("天津市妇联", "Organization"), LexEntry("妇联", "Organization"))
    text = "天津市妇联开会。天津市妇联"
    cut = (Sentence(0, 0, 3, "天津市"), Sentence(1, 3, 8, "妇联开会。"), Sentence(2, 8, 13, "天津市妇联"))
    got = [[(m.start, m.end, m.label) for m in ms] for ms in _lexicon_mentions(Document(id="d", text=text), cut, lex)]
    alone = [[(s.start + a, s.start + b, e.label) for a, b, e in lex.scan(s.text)] for s in cut]
    assert got == alone == [[(0, 3, "天津市")], [(3, 5, "妇联")], [(8, 13, "天津市妇联")]]
