"""The failure classes of issue 18, one line (or a few) each: what a person reads in a line of a
real reading list, and the reason the importer gives for it (`kb plan show --why`)."""

from __future__ import annotations

import pytest

from kb.plans import importer, items


def _papers(text: str) -> list:
    return [i for p in importer.parse_text(text) for i in p.papers]


@pytest.mark.parametrize("line,title,reason", [
    ("- [Batch Normalization: Accelerating Deep Network Training](https://proceedings.mlr.press/v37/ioffe15.pdf) - why it helps (2015)",
     "Batch Normalization: Accelerating Deep Network Training", "PMLR"),
    ("- [ImageNet Classification with Deep Convolutional Neural Networks](https://proceedings.neurips.cc/paper/2012/file/x-Paper.pdf)",
     "ImageNet Classification with Deep Convolutional Neural Networks", "NeurIPS"),
    ("- [Decoupled Weight Decay Regularization](https://openreview.net/forum?id=Bkg6RiCqY7)", "Decoupled Weight Decay Regularization", "OpenReview"),
    ("- [GloVe: Global Vectors for Word Representation](https://aclanthology.org/D14-1162.pdf)", "GloVe: Global Vectors for Word Representation", "ACL Anthology"),
    ("- [Efficient Memory Management for LLM Serving](https://dl.acm.org/doi/10.1145/3600006.3613165)", "Efficient Memory Management for LLM Serving", "ACM"),
    ("- [Phi-2 technical report](https://github.com/lab/reports/blob/main/phi2.pdf)", "Phi-2 technical report", "PDF"),
    ("- [A Domain-Specific Architecture for Deep Neural Networks](https://cacm.acm.org/research/a-domain-specific-architecture/)",
     "A Domain-Specific Architecture for Deep Neural Networks", "Communications of the ACM"),
])
def test_links_that_are_papers_but_not_arxiv(line, title, reason):
    [paper] = _papers("# Reading\n\n## Optimisation\n\n" + line + "\n")
    assert paper.title == title and reason in paper.reason


@pytest.mark.parametrize("line,kind", [
    ("- [What is gradient descent?](https://en.wikipedia.org/wiki/Gradient_descent)", "other"),
    ("- [A Kaggle notebook fine-tuning BERT](https://www.kaggle.com/code/someone/bert)", "tutorial"),
    ("- [lilianweng.github.io](https://lilianweng.github.io/posts/2018-06-24-attention/) - attention, explained", "tutorial"),
    ("- [Understanding RLHF](https://medium.com/@someone/understanding-rlhf-1a2b) - a friendly post", "tutorial"),
    ("- [RLHF explained in 20 minutes](https://www.youtube.com/watch?v=2MBJOuVq380)", "course"),
    ("- [Llama-2-7b-chat on the Hub](https://huggingface.co/meta-llama/Llama-2-7b-chat-hf)", "other"),
])
def test_links_that_are_not_papers_even_under_a_papers_heading(line, kind):
    [plan] = importer.parse_text("# Reading\n\n## Papers\n\n- \"Attention Is All You Need\"\n" + line + "\n")
    last = plan.items[-1]
    assert last.kind == kind and "not a paper" in last.reason or "host name" in last.reason


def test_the_lists_introduction_is_not_a_paper():
    text = ("# Papers I keep\n\nHere I keep the papers I found most useful while moving into language models.\n"
            "Lectures Tuesdays and Thursdays. Readings are to be done before the lecture. Slides and\n\n"
            "- [Attention Is All You Need](https://arxiv.org/abs/1706.03762)\n")
    assert [p.title for p in _papers(text)] == ["Attention Is All You Need"]


def test_a_bare_doi_line_belongs_to_the_entry_above():
    text = ("# Seminar\n\n## Magazine articles\n\n"
            "Norman P. Jouppi, Cliff Young, [A Domain-Specific Architecture for Deep Neural Networks](https://cacm.acm.org/research/a-dsa/), "
            "Communications of the ACM, September 2018, Vol. 61 No. 9, Pages 50-59\n10.1145/3154484\n")
    [paper] = _papers(text)
    assert paper.title == "A Domain-Specific Architecture for Deep Neural Networks" and paper.doi == "10.1145/3154484"
    assert "DOI is on the line below" in paper.reason


def test_author_title_venue_lines():
    [paper] = _papers("# S\n\n## Conference papers\n\n- Tianqi Chen, Thierry Moreau, et al. TVM: An Automated End-to-End "
                      "Optimizing Compiler for Deep Learning. OSDI 2018.\n")
    assert paper.title == "TVM: An Automated End-to-End Optimizing Compiler for Deep Learning" and paper.year == 2018


def test_sections_that_name_the_kind():
    text = "# 清单\n\n# 综述\n\n1. 《A Survey of Large Language Models》\n\n# 书籍\n\n1. 《动手学深度学习》\n"
    [plan] = importer.parse_text(text)
    assert [(i.kind, i.title) for i in plan.items] == [("paper", "A Survey of Large Language Models"), ("book", "动手学深度学习")]


@pytest.mark.parametrize("line,title", [
    ("1. BERT 《Pre-training of Deep Bidirectional Transformers for Language Understanding》",
     "Pre-training of Deep Bidirectional Transformers for Language Understanding"),
    ("- InstructGPT：《Training language models to follow instructions with human feedback》，RLHF 三步走。",
     "Training language models to follow instructions with human feedback"),
    ("- [GPT-2](https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf)", "GPT-2"),
    ("- 直接偏好优化（[arXiv](https://arxiv.org/abs/2305.18290)），不需要奖励模型。", "直接偏好优化"),
])
def test_a_model_name_glued_to_the_title(line, title):
    [paper] = _papers("# 演进\n\n## 一、奠基\n\n" + line + "\n")
    assert paper.title == title


def test_a_link_line_under_an_item_gives_the_item_its_paper():
    text = ("# 梳理\n\n## 一、奠基\n\n1. **Transformer 《Attention Is All You Need》**（2017）\n"
            "   - **作者**：Vaswani et al.\n   - **链接**：[arXiv:1706.03762](https://arxiv.org/abs/1706.03762)\n"
            "   - **核心贡献**：用自注意力替代循环结构。\n")
    [plan] = importer.parse_text(text)
    assert [(i.kind, i.title, i.arxiv_id) for i in plan.items] == [("paper", "Attention Is All You Need", "1706.03762")]


def test_a_bare_english_title_in_a_chinese_plan():
    text = ("# 暑期计划\n\n## 第1周：检索基础\n\n- 复习 BM25 和倒排索引\n- Dense Passage Retrieval for Open-Domain Question Answering\n"
            "- Benchmarking Large Language Models in Retrieval-Augmented Generation\n- 跑通 faiss 的示例代码\n\n"
            "## 目标会议\n\n- **系统会议**：OSDI, ASPLOS, MLSys\n- Computers and Electronics in Agriculture\n")
    assert [p.title for p in _papers(text)] == ["Dense Passage Retrieval for Open-Domain Question Answering",
                                                "Benchmarking Large Language Models in Retrieval-Augmented Generation"]
    assert "alone on a line of a Chinese plan" in _papers(text)[0].reason


def test_a_course_outline_keeps_structure_and_drops_description_bullets(seed_path):
    [plan] = importer.parse_text(seed_path("004").read_text(encoding="utf-8"))
    texts = [i.text for i in plan.items]
    assert not any(t.startswith(("图", "表")) for t in texts) and "2023/07/24" not in texts
    assert len([i for i in plan.items if i.kind == "other"]) <= 2
    fitnets = next(i for i in plan.papers if i.title.lower().startswith("fitnets"))
    assert fitnets.outline[-2:] == ["知识蒸馏技术", "知识蒸馏的方法"] or fitnets.outline[-1].startswith("知识蒸馏")


def test_every_item_says_why():
    [plan] = importer.parse_text("# P\n\n## Papers\n\n- \"Attention Is All You Need\"\n- [video](https://youtu.be/x)\n- 读书\n")
    assert all(i.reason for i in plan.items)


def test_link_verdicts_by_host_and_path():
    from kb.plans.links import verdict

    assert verdict("https://arxiv.org/abs/2106.09685").kind == "paper"
    assert verdict("https://arxiv.org/list/cs.CL/recent").kind is None  # a listing, not a paper
    assert verdict("https://huggingface.co/papers/2106.09685").kind == "paper"
    assert verdict("https://huggingface.co/bert-base-uncased").kind == "other"
    assert verdict("https://github.com/org/repo").kind == "other"
    assert verdict("https://example.edu/slides/lec01.pdf").kind == "other"
    assert items.is_generic_link_text("[PDF]") and not items.is_generic_link_text("LoRA")


def test_a_doi_written_under_a_list_entry_is_its_doi():
    text = ("# S\n\n## Magazine\n\n- Jeffrey Dean, [The Deep Learning Revolution](https://cacm.acm.org/magazines/2020/6/x/fulltext), "
            "Communications of the ACM, June 2020, Vol. 63 No. 6, Pages 50-57\n\n  10.1145/3392503\n")
    [paper] = _papers(text)
    assert paper.doi == "10.1145/3392503"


def test_a_chinese_remark_after_a_bare_title_is_not_part_of_it():
    text = "# 计划\n\n## 第一周\n\n- LoRA: Low-Rank Adaptation of Large Language Models —— 必读\n- Attention Is All You Need（重点读第3节）\n"
    assert [p.title for p in _papers(text)] == ["LoRA: Low-Rank Adaptation of Large Language Models", "Attention Is All You Need"]


@pytest.mark.parametrize("line,title", [
    ("- **A Made Up Adapter Method for Efficient Tuning** (ICLR 2022) [[paper]](https://openreview.net/forum?id=abcdef) "
     "[[code]](https://github.com/x/y)", "A Made Up Adapter Method for Efficient Tuning"),
    ("- [[paper]](https://aclanthology.org/2023.acl-long.1/) Yet Another Invented Title About Parsing", "Yet Another Invented Title About Parsing"),
    ("* An Invented Vision Paper Title, Alice Smith, Bob Jones, CVPR 2021, [[pdf]](https://openaccess.thecvf.com/content/x.pdf)",
     "An Invented Vision Paper Title"),
    ("* Another Invented Title For Detection. Carol White et al. ECCV 2020. [pdf](https://www.ecva.net/papers/123.pdf)",
     "Another Invented Title For Detection"),
])
def test_awesome_list_lines_with_generic_links(line, title):
    [paper] = _papers("# Awesome\n\n## Methods\n\n" + line + "\n")
    assert paper.title == title


def test_a_title_after_a_chinese_label_or_reading_verb():
    text = "# 清单\n\n## 第一周\n\n1. 论文名称：A Made Up Title About Retrieval Models\n2. 阅读论文 Yet Another Invented Title About Decoding\n"
    assert [p.title for p in _papers(text)] == ["A Made Up Title About Retrieval Models", "Yet Another Invented Title About Decoding"]


def test_a_known_paper_linked_by_its_code_under_a_papers_heading():
    [plan] = importer.parse_text("# L\n\n## Papers\n\n- [LoRA](https://github.com/microsoft/LoRA)\n- [My Repo](https://github.com/me/repo)\n")
    assert [(i.kind, i.title) for i in plan.items] == [("paper", "LoRA"), ("other", None)]


def test_an_authors_name_before_a_book_title_is_not_a_model_name():
    [plan] = importer.parse_text("# 计划\n\n## 第一周\n\n- 推荐 Goodfellow 《Deep Learning》\n- BERT 《Pre-training of Deep Bidirectional Transformers》\n")
    assert [i.kind for i in plan.items] == ["book", "paper"]
