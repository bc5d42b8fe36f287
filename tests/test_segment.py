"""Sentences and tokens, with half-open offsets into the document text."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kg import ingest, segment
from kg.model import Document
from kg.pipeline import Extractor


def doc_of(text: str) -> Document:
    return ingest.make_document("t", text)


def assert_offsets_true(doc: Document) -> None:
    sentences = segment.sentences(doc)
    assert sentences, doc.id
    for i, s in enumerate(sentences):
        assert s.index == i
        assert doc.text[s.start : s.end] == s.text, (doc.id, s)
        assert s.text == s.text.strip()
    starts = [s.start for s in sentences]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in zip(sentences, sentences[1:], strict=False))


def test_sentences_end_at_punctuation_and_line_breaks() -> None:
    text = "坚持党的领导。强化服务！\n聚焦三种身份 拓展工作职能\n他说：“深化改革。”随后散会；会议结束"
    sents = segment.sentences(doc_of(text))
    assert [s.text for s in sents] == [
        "坚持党的领导。",
        "强化服务！",
        "聚焦三种身份 拓展工作职能",
        "他说：“深化改革。”",
        "随后散会；",
        "会议结束",
    ]
    assert_offsets_true(doc_of(text))


def test_blank_lines_and_punctuation_only_lines_give_no_sentence() -> None:
    text = "\n\n  妇联深化改革。  \n\n——\n……\n"
    sents = segment.sentences(doc_of(text))
    assert [(s.start, s.end, s.text) for s in sents] == [(4, 11, "妇联深化改革。")]


def test_inline_byline_is_cut_from_its_sentence() -> None:
    text = "市妇联召开执委会议。新华社记者 张三 摄\n深化“巾帼建功”行动。"
    doc = doc_of(text)
    sents = segment.sentences(doc)
    assert [s.text for s in sents] == ["市妇联召开执委会议。", "深化“巾帼建功”行动。"]
    assert_offsets_true(doc)


def test_offsets_are_true_on_the_reference_and_dev_documents(reference_path: Path, dev_paths: list[Path]) -> None:
    docs = list(ingest.read_inputs([reference_path, *dev_paths]))
    assert len(docs) == 1 + len(dev_paths)
    for doc in docs:
        assert isinstance(doc, Document), doc
        assert_offsets_true(doc)


def test_furniture_lines_of_the_reference_article_give_no_sentence(reference_path: Path) -> None:
    (doc,) = ingest.read_inputs([reference_path])
    assert isinstance(doc, Document)
    # find the furniture independently of kg's rules: the share bar and the dated related-article list
    furniture, pos = [], 0
    for line in doc.text.split("\n"):
        if line.startswith("分享到") or re.search(r"\|\s*20\d\d-\d\d-\d\d\s*\|", line):
            furniture.append((pos, pos + len(line)))
        pos += len(line) + 1
    assert len(furniture) == 11  # the share bar and ten related articles
    sents = segment.sentences(doc)
    for s in sents:
        for a, b in furniture:
            assert s.end <= a or b <= s.start, (s.text, doc.text[a:b])
    assert "作者为天津市妇联党组书记、主席" in sents[-1].text  # the article's last line is still read


def test_tokens_keep_lexicon_names_whole_with_true_offsets(extractor: Extractor) -> None:
    text = "深入宣传男女平等基本国策，弘扬社会主义核心价值观。"
    toks = segment.tokens(text, extractor.tokenizer, offset=100)
    assert "".join(w for _, _, w in toks) == text
    for a, b, w in toks:
        assert text[a - 100 : b - 100] == w
    words = [w for _, _, w in toks]
    assert "男女平等基本国策" in words and "社会主义核心价值观" in words


def test_tokenizer_is_private() -> None:
    import jieba

    tk = segment.tokenizer(frozenset({"津门巧娘工坊"}))
    assert "津门巧娘工坊" in [w for w in tk.cut("打造津门巧娘工坊品牌")]
    assert "津门巧娘工坊" not in jieba.dt.FREQ  # the global jieba dictionary is untouched


def test_rjieba_loads_without_its_default_tokenizer() -> None:
    """kg takes rjieba's compiled module alone: the package's __init__ would load a dictionary."""
    code = "import sys; from kg import segment; m = segment._rjieba(); print(m is not None, 'rjieba' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    if done.stdout.split()[0] == "False":
        pytest.skip("rjieba is not installed")
    assert done.stdout.split() == ["True", "False"]
    later = "from kg import segment; m = segment._rjieba(); import rjieba; print(m.Jieba is rjieba.Jieba)"
    assert subprocess.run([sys.executable, "-c", later], capture_output=True, text=True, check=True).stdout.split() == ["True"]
    words = [w for _, _, w in segment.tokens("天津市妇联打造津帼众创品牌", segment.tokenizer(frozenset({"津帼众创"})))]
    assert words == ["天津市", "妇联", "打造", "津帼众创", "品牌"]


def test_without_rjieba_a_private_jieba_tokenizer_cuts_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, package=None: None)
    monkeypatch.setitem(sys.modules, "rjieba", None)  # import rjieba raises ImportError
    monkeypatch.delitem(sys.modules, "rjieba.rjieba", raising=False)
    assert segment._rjieba() is None
    tk = segment.tokenizer.__wrapped__(frozenset({"津帼众创"}))
    assert hasattr(tk, "initialize")  # jieba's own
    assert [w for _, _, w in segment.tokens("天津市妇联打造津帼众创品牌", tk)] == ["天津市", "妇联", "打造", "津帼众创", "品牌"]
