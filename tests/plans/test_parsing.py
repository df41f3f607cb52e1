"""Headings, list structure and single lines: the pieces the importer is made of."""

from __future__ import annotations

import pytest

from kb.plans import items, markdown, weeks


@pytest.mark.parametrize("text,level,numbers", [
    ("第1个月：基础知识构建", "month", (1, 1, None, None)),
    ("第二阶段：大语言模型理论与实践（第3-5个月）", "phase", (3, 5, None, None)),
    ("第四阶段：项目实践与研究（第9个月起）", "phase", (9, 9, None, None)),
    ("周3-4：领域适应基础", "week", (None, None, 3, 4)),
    ("第十一周(7.21~7.27)", "week", (None, None, 11, 11)),
    ("第3-4周", "week", (None, None, 3, 4)),
    ("Months 3–4", "month", (3, 4, None, None)),
    ("Phase 1 (Weeks 1-6): Basics", "phase", (None, None, 1, 6)),
    ("Weeks 5-6: Quantization", "week", (None, None, 5, 6)),
    ("**Week 9**", "week", (None, None, 9, 9)),
])
def test_time_headings(text, level, numbers):
    mark = weeks.parse(text)
    assert mark is not None and mark.level == level
    assert (mark.month_start, mark.month_end, mark.week_start, mark.week_end) == numbers


@pytest.mark.parametrize("text", ["推荐目标领域选择", "Weekly goals", "在第3个月完成数据集", "Notes", "2. 参数剪枝技术"])
def test_other_headings_are_not_time(text):
    assert weeks.parse(text) is None


def test_chinese_numbers_and_week_arithmetic():
    assert [weeks.cn_number(t) for t in ("十", "十一", "二十", "二十三", "一百零五", "7")] == [10, 11, 20, 23, 105, 7]
    assert weeks.absolute_weeks(1, 2, 2) == (5, 6)     # 周1-2 under 第2个月
    assert weeks.absolute_weeks(5, 6, 2) == (5, 6)     # Week 5-6 under Month 2: already absolute
    assert weeks.month_weeks(3, 5) == (9, 20)
    assert weeks.parse("第一周(5.12~5.18)").dates == ((None, 5, 12), (None, 5, 18))


def test_markdown_nesting_checkboxes_notes_and_tables():
    doc = (
        "# Plan\n\n- **Papers**:\n  - [x] \"A\"\n    (continued)\n\n    written under A\n  - [ ] B\n\n"
        "| Week | Paper | Read? |\n|---|---|---|\n| 1 | C | ✓ |\n\n```\n- not an item\n```\n"
    )
    blocks = markdown.parse(doc)
    kinds = [b.type for b in blocks]
    assert kinds == ["heading", "item", "item", "item", "row"]
    label, a, b, row = blocks[1:]
    assert a.parent == label.uid and b.parent == label.uid
    assert a.checked is True and b.checked is False and label.checked is None
    assert a.text == '"A" (continued)' and a.notes == ["written under A"]
    assert row.header == ["Week", "Paper", "Read?"] and row.cells == ["1", "C", "✓"]


@pytest.mark.parametrize("line,section,kind,title", [
    ("\"Attention Is All You Need\"（Transformer基础）", "paper", "paper", "Attention Is All You Need"),
    ("《Natural Language Processing with Transformers》第1-3章", "book", "book", "Natural Language Processing with Transformers"),
    ("论文：《Attention Is All You Need》。", "mixed", "paper", "Attention Is All You Need"),
    ("书籍：《深度学习》（Goodfellow 等著）。", "mixed", "book", "深度学习"),
    ("在线课程：Coursera 上的“深度学习专项课程”（DeepLearning.AI）。", "mixed", "course", None),
    ("复现简单的LoRA微调实验", "task", "task", None),
    ("PEFT库官方教程系列", "course", "tutorial", None),
    ("提供相关的进一步阅读材料和参考文献。", "paper", "other", None),
    ("Devlin et al., BERT: Pre-training of Deep Bidirectional Transformers, NAACL 2019", None, "paper",
     "BERT: Pre-training of Deep Bidirectional Transformers"),
    ("*LLM.int8(): 8-bit Matrix Multiplication for Transformers at Scale*", "paper", "paper",
     "LLM.int8(): 8-bit Matrix Multiplication for Transformers at Scale"),
    ("[QLoRA](https://arxiv.org/abs/2305.14314)", None, "paper", "QLoRA"),
    ("Semi-supervised learning reference: Chapelle, O., Schölkopf, B., & Zien, A. (2009). Semi-supervised learning. MIT press.",
     "paper", "book", "Semi-supervised learning"),
])
def test_classify_lines(line, section, kind, title):
    found = items.classify(line, section)
    assert found and found[0].kind == kind, found
    if title is not None:
        assert found[0].title == title


def test_identifiers_years_and_authors():
    it = items.classify("LoRA — arXiv:2106.09685v2", None)[0]
    assert (it.kind, it.title, it.arxiv_id, it.year) == ("paper", "LoRA", "2106.09685", 2021)
    it = items.classify("Han et al., Learning both Weights and Connections, NeurIPS 2015. doi:10.5555/2969239.2969366", None)[0]
    assert it.doi == "10.5555/2969239.2969366" and it.title == "Learning both Weights and Connections"
    assert it.year == 2015 and it.authors == ["Han"] and it.venue == "NeurIPS"
    apa = items.parse_reference("Hinton, G., Vinyals, O., & Dean, J. (2015). Distilling the knowledge in a neural network. arXiv preprint arXiv:1503.02531.")
    assert apa.authors == ["G. Hinton", "O. Vinyals", "J. Dean"] and apa.year == 2015
    assert apa.title == "Distilling the knowledge in a neural network"
    # a version number is not an arXiv id
    assert items.find_arxiv("upgrade to v2106.0968 soon") is None


def test_papers_named_in_passing_need_the_word_paper():
    names = {"transformer": "Attention Is All You Need", "bert": "BERT", "ganbert": "GAN-BERT"}

    def alias(name):
        return names.get(name.lower().replace("-", "").replace(" ", ""))

    found = items.classify("着重理解了 Transformer，bert,gan-bert的论文 并产出对应的笔记。", None, aliases=alias)
    assert [i.title for i in found if i.kind == "paper"] == ["Attention Is All You Need", "BERT", "GAN-BERT"]
    assert not [i for i in items.classify("学习 Transformer 在语言模型中的应用，如 GPT、BERT 等。", None, aliases=alias) if i.kind == "paper"]
