"""The families of sentences the extraction rules serve, each on a small text written for the test.

Every case names the family (the rule's ``family`` in ontology/rules) rather than a sentence of
the shared corpus, so the rules are held to the genre and not to one document.
"""

from __future__ import annotations

from collections.abc import Callable

from conftest import Extracted

Extract = Callable[..., Extracted]
AUTHOR = "（作者为某某市妇联主席）"


def test_a_list_closed_by_its_whole(extract: Extract) -> None:
    """A、B、C等<whole> and A、B、C<N大whole>: the whole has the members and takes the verb."""
    x = extract("要引导妇女发扬勤劳节俭、敬老爱亲、邻里和睦等优良家风传统。" + AUTHOR)
    assert {("优良家风传统", "hasComponent", m) for m in ("勤劳节俭", "敬老爱亲", "邻里和睦")} <= x.relations
    assert ("某某市妇联", "guidedBy", "优良家风传统") in x.relations
    assert not {r for r in x.relations if r[1] == "guidedBy" and r[2] == "勤劳节俭"}


def test_one_name_one_thing_in_a_text(extract: Extract) -> None:
    """A name a rule found once is a mention wherever it stands again (doc.repeat)."""
    x = extract("市妇联深入推进基层妇联组织改革。基层妇联组织改革必须坚持问题导向。" + AUTHOR)
    programme = x.entity("基层妇联组织改革")
    assert len(programme.mentions) == 2
    assert ("基层妇联组织改革", "guidedBy", "问题导向") in x.relations


def test_leadership_of_one_body_over_another(extract: Extract) -> None:
    x = extract("要加大市委和市政府对妇联工作的领导。在区委的坚强领导下，区妇联要深化“美丽庭院”创建活动。")
    assert ("妇联", "ledBy", "市委") in x.relations
    assert ("妇联", "ledBy", "市政府") in x.relations
    assert ("区妇联", "ledBy", "区委") in x.relations


def test_a_unit_named_after_its_parents(extract: Extract) -> None:
    x = extract("鼓励中国工商银行、中国建设银行“普惠”金融事业部加大支持力度。")
    assert x.entities.get("普惠金融事业部") == "Organization"
    assert ("普惠金融事业部", "partOf", "中国工商银行") in x.relations
    assert ("普惠金融事业部", "partOf", "中国建设银行") in x.relations


def test_parallel_slogans_held_to(extract: Extract) -> None:
    x = extract("各级党委和政府要坚持城乡统筹推进、产业融合发展，把生态优先原则体现到各个方面。")
    for slogan in ("城乡统筹推进", "产业融合发展", "生态优先"):
        assert x.entities.get(slogan) == "Principle", slogan
    assert ("党委", "guidedBy", "生态优先") in x.relations


def test_only_policy_titles_in_book_marks_are_policies(extract: Extract) -> None:
    x = extract("他在《人民日报》发表文章《携手共创美好未来》，解读《乡村全面振兴规划（2024－2027年）》。")
    assert x.entities.get("乡村全面振兴规划（2024－2027年）") == "Policy"
    assert "人民日报" not in x.entities
    assert "携手共创美好未来" not in x.entities


def test_names_hold_no_speaker_or_verb(extract: Extract) -> None:
    """A meeting's or body's name is cut after words that never stand inside a name."""
    x = extract("张某某从深刻认识全会意义出发，出席全国妇女工作会议。王某某还在河北农业大学作报告。")
    assert x.entities.get("全国妇女工作会议") == "Event"
    assert x.entities.get("河北农业大学") == "Organization"
    assert not [label for label in x.entities if "深刻认识" in label or "还在" in label]


def test_a_report_of_a_document_speaks_for_its_issuer(extract: Extract) -> None:
    x = extract("民政部印发《关于加强养老服务人才队伍建设的意见》。《意见》提出，要实施“银龄助老”行动。")
    assert ("关于加强养老服务人才队伍建设的意见", "issuedBy", "民政部") in x.relations
    assert x.focus == {"民政部"}
    assert ("民政部", "runs", "银龄助老") in x.relations


def test_the_subject_of_one_sentence_carries_to_the_next(extract: Extract) -> None:
    """With no body the text speaks for, a sentence without a subject takes the previous one's."""
    x = extract("工会组织要坚持以职工为中心。要深化“劳动竞赛”活动。要完善服务体系。要实施“职工书屋”工程。")
    assert ("工会", "runs", "劳动竞赛") in x.relations  # the next sentence
    assert ("工会", "runs", "职工书屋") not in x.relations  # three sentences on: too far


def test_a_person_after_a_title_even_when_jieba_splits_the_name(extract: Extract) -> None:
    x = extract("省妇联主席李红梅出席会议并讲话。省委副书记张建国、省政协副主席王丽参加会议。")
    for name in ("李红梅", "张建国", "王丽"):
        assert x.entities.get(name) == "Person", name
    assert ("省妇联", "ledBy", "李红梅") in x.relations  # the head by title
    assert not {r for r in x.relations if r[2] in ("张建国", "王丽")}  # deputies lead nothing


def test_a_numbered_whole_spelled_out_after_it(extract: Extract) -> None:
    x = extract("（作者为北京市总工会主席）坚持“三个服务”，即服务职工、服务企业、服务大局。")
    assert {("三个服务", "hasComponent", m) for m in ("服务职工", "服务企业", "服务大局")} <= x.relations
    assert ("北京市总工会", "guidedBy", "三个服务") in x.relations


def test_bodies_of_a_region_working_together(extract: Extract) -> None:
    x = extract("北京市总工会与北京市人社局签署合作协议，联合开展“首都职工技能大赛”。")
    assert x.entities.get("北京市人社局") == "Organization"
    assert ("北京市总工会", "cooperatesWith", "北京市人社局") in x.relations


def test_a_member_phrase_of_an_unnamed_whole_does_not_hide_a_name(extract: Extract) -> None:
    """The lexicon lists 贯彻新发展理念 as a member of a whole this text does not name: 新发展理念 stays."""
    x = extract(
        "近日，中共中央、国务院印发了《关于推进高质量发展的若干意见》。"
        "《意见》要求，完整准确全面贯彻新发展理念，加快构建新发展格局。"
    )
    assert x.entities.get("新发展理念") == "Principle"
    assert x.focus == {"党中央", "国务院"}  # every body of the list that issued the document
    assert ("国务院", "pursues", "新发展格局") in x.relations


def test_service_to_a_group_and_brands_polished(extract: Extract) -> None:
    x = extract("（作者为上海市妇联主席）持续擦亮“上海女性”品牌，为困难妇女提供法律援助服务。")
    assert ("上海市妇联", "runs", "上海女性") in x.relations
    assert ("上海市妇联", "serves", "困难妇女") in x.relations
