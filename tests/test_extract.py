"""Mentions and relations on small literal texts, and mention offsets on the whole corpus."""

from __future__ import annotations

import re
from collections.abc import Callable

from kg import resources, segment
from kg.extract.mentions import find_mentions
from kg.model import Document, DocumentGraph
from kg.pipeline import BuildResult, Extractor

AUTHOR = "（作者为天津市妇联主席）"


def test_mention_offsets_are_true_on_every_corpus_document(extractor: Extractor, corpus_documents: list[Document]) -> None:
    assert len(corpus_documents) > 100  # the reference article, the dev docs and the news corpus
    checked = 0
    for doc in corpus_documents:
        sentences = segment.sentences(doc)
        mentions = find_mentions(doc, sentences, extractor.lexicon, extractor.tokenizer)
        spans = [(m.start, m.end) for m in mentions]
        assert spans == sorted(spans), doc.id
        for m in mentions:
            assert doc.text[m.start : m.end] == m.surface, (doc.id, m)
            s = sentences[m.sentence]
            assert s.start <= m.start < m.end <= s.end, (doc.id, m, s)
        # mentions do not overlap, but for the Party named inside a principle (坚持党的领导)
        flat = [m for m in mentions if m.rule != "org.party-in-principle"]
        assert all(a.end <= b.start for a, b in zip(flat, flat[1:], strict=False)), doc.id
        checked += len(mentions)
    assert checked > 1000


def test_every_rule_id_is_documented(reference_doc: DocumentGraph, dev_build: BuildResult) -> None:
    families = set(resources.rule_families())
    for dg in [reference_doc, *dev_build.documents]:
        rules = {m.rule for e in dg.entities for m in e.mentions} | {r.rule for r in dg.relations}
        assert rules <= families, rules - families


def test_quoted_programme_loses_its_quotes_and_head(extract: Callable) -> None:
    x = extract("市妇联深化“巾帼建功”行动，打造“津门巧娘”品牌。")
    assert x.entities["巾帼建功"] == "Programme"
    assert x.entities["津门巧娘"] == "Programme"
    assert "巾帼建功行动" in x.entity("巾帼建功").aliases
    assert not any(re.search(r"[“”]|行动$|品牌$", label) for label in x.entities if x.entities[label] == "Programme")
    (m,) = x.entity("津门巧娘").mentions
    assert (m.surface, x.text[m.start : m.end]) == ("津门巧娘", "津门巧娘")


def test_unquoted_programme_keeps_its_head(extract: Callable) -> None:
    x = extract("深化巾帼建功行动，服务妇女群众。")
    assert x.entities.get("巾帼建功行动") == "Programme"


def test_title_in_book_marks_is_a_policy(extract: Callable) -> None:
    x = extract("市妇联认真贯彻《天津市妇女发展规划》，推动“巾帼建功”行动。")
    assert x.entities.get("天津市妇女发展规划") == "Policy"
    assert not any("《" in label or "》" in label for label in x.entities)


def test_uphold_party_leadership_gives_guided_by_and_led_by(extract: Callable) -> None:
    x = extract("坚持党的领导，把广大妇女紧紧团结在党的周围。" + AUTHOR)
    assert x.focus == {"天津市妇联"}
    assert ("天津市妇联", "guidedBy", "党的领导") in x.relations
    assert ("天津市妇联", "ledBy", "中国共产党") in x.relations


def test_metaphor_and_quoted_phrases_name_nothing(extract: Callable) -> None:
    x = extract("使社会主义核心价值观从“普遍认同”成为“共同践行”，使妇联工作如同变身“千手观音”。")
    for phrase in ("千手观音", "普遍认同", "共同践行"):
        assert not any(phrase in label for label in x.entities), x.entities


def test_numbered_whole_has_its_members_as_components(extract: Callable) -> None:
    x = extract(
        "全面贯彻落实五大发展理念。围绕创新发展，深化巾帼创业行动。围绕协调发展，统筹城乡妇女发展。"
        "围绕绿色发展，建设美丽庭院。围绕开放发展，扩大对外交流。围绕共享发展，让妇女共享改革成果。"
    )
    members = {"创新发展", "协调发展", "绿色发展", "开放发展", "共享发展"}
    assert {o for s, p, o in x.relations if s == "五大发展理念" and p == "hasComponent"} == members
    assert all(x.entities[m] == "Principle" for m in members)


def test_members_without_their_whole_are_no_components(extract: Callable) -> None:
    x = extract("围绕创新发展，深化巾帼创业行动。")
    assert not any(p == "hasComponent" for _, p, _ in x.relations)


def test_principle_opened_by_around_guides_the_programmes_of_its_clauses(extract: Callable) -> None:
    x = extract("全面贯彻落实五大发展理念，围绕创新发展，深化巾帼创新创业行动，打造“津帼众创”品牌。" + AUTHOR)
    assert {("巾帼创新创业行动", "guidedBy", "创新发展"), ("津帼众创", "guidedBy", "创新发展")} <= x.relations
    assert ("天津市妇联", "runs", "津帼众创") in x.relations


def test_author_line_is_the_omitted_subject_of_runs(extract: Callable) -> None:
    text = "深化“巾帼建功”行动，打造“津门巧娘”品牌。"
    with_author = extract(text + AUTHOR)
    assert with_author.focus == {"天津市妇联"}
    assert {("天津市妇联", "runs", "巾帼建功"), ("天津市妇联", "runs", "津门巧娘")} <= with_author.relations
    without = extract(text)
    assert without.focus == set()
    assert not any(p == "runs" for _, p, _ in without.relations)


def test_named_subject_wins_over_the_author(extract: Callable) -> None:
    x = extract("共青团中央要深化“青年大学习”行动。" + AUTHOR)
    league = x.entity("中国共产主义青年团中央委员会")
    assert league.cls == "Organization" and "共青团中央" in league.aliases
    assert {(s, p, o) for s, p, o in x.relations if p == "runs"} == {(league.label, "runs", "青年大学习")}


def test_brand_after_an_action_is_part_of_it(extract: Callable) -> None:
    x = extract("深化巾帼建功行动，打造“津门巧娘”品牌。" + AUTHOR)
    assert ("津门巧娘", "partOf", "巾帼建功行动") in x.relations


def test_relation_evidence_lies_in_its_sentence(extract: Callable) -> None:
    x = extract("深化“巾帼建功”行动，服务困难妇女儿童。" + AUTHOR)
    assert x.relations
    for r in x.graph.relations:
        s = x.graph.sentences[r.sentence]
        assert s.start <= r.start < r.end <= s.end


def test_page_furniture_gives_no_entities(extract: Callable) -> None:
    x = extract(
        "分享到: | 更多 |\n深化“巾帼建功”行动。\n开展“春蕾计划”活动 | 2014-05-04 |\n共青团中央印发《改革方案》 | 2014-05-05 |\n"
    )
    assert set(x.entities) == {"巾帼建功"}


def test_reference_furniture_contributes_no_mention(reference_doc: DocumentGraph) -> None:
    text = reference_doc.document.text
    lines = text.split("\n")
    assert all(re.search(r"\|\s*2014-05-04\s*\|$", line) for line in lines[-10:])
    furniture_start = len(text) - len("\n".join(lines[-10:]))
    mentions = [m for e in reference_doc.entities for m in e.mentions]
    assert mentions
    assert all(m.end <= furniture_start for m in mentions)
    assert all(m.start >= len(lines[0]) for m in mentions)  # nor does the share bar
