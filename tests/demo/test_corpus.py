"""The demo texts as data: the canonical papers, real metadata, a closed citation graph."""

from __future__ import annotations

from kb.demo import corpus
from kb.demo.references import format_authors, format_reference, reference_list

EXPECTED = {
    "1706.03762": ("Attention Is All You Need", 2017),
    "1810.04805": ("BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding", 2019),
    "1902.00751": ("Parameter-Efficient Transfer Learning for NLP", 2019),
    "1910.01108": ("DistilBERT, a distilled version of BERT: smaller, faster, cheaper and lighter", 2019),
    "1503.02531": ("Distilling the Knowledge in a Neural Network", 2015),
    "2106.09685": ("LoRA: Low-Rank Adaptation of Large Language Models", 2022),
    "2305.14314": ("QLoRA: Efficient Finetuning of Quantized LLMs", 2023),
    "2208.07339": ("LLM.int8(): 8-bit Matrix Multiplication for Transformers at Scale", 2022),
    "2205.14135": ("FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness", 2022),
    "2001.08361": ("Scaling Laws for Neural Language Models", 2020),
    "1909.10351": ("TinyBERT: Distilling BERT for Natural Language Understanding", 2020),
    "2101.00190": ("Prefix-Tuning: Optimizing Continuous Prompts for Generation", 2021),
}


def test_the_twelve_canonical_papers_with_real_titles_and_years():
    papers = corpus.by_arxiv()
    assert set(papers) == set(EXPECTED)
    for arxiv_id, (title, year) in EXPECTED.items():
        assert papers[arxiv_id].title == title
        assert papers[arxiv_id].year == year
    assert papers["1706.03762"].authors[0] == "Ashish Vaswani"
    assert papers["2106.09685"].authors[0] == "Edward J. Hu"
    assert papers["1503.02531"].authors == ("Geoffrey Hinton", "Oriol Vinyals", "Jeff Dean")


def test_texts_are_a_few_hundred_words_with_the_four_sections():
    for paper in corpus.papers():
        words = len(" ".join([paper.abstract, *(s.body for s in paper.sections)]).split())
        assert 250 <= words <= 700, (paper.arxiv_id, words)
        assert [s.title for s in paper.sections] == ["Introduction", "Method", "Experiments", "Conclusion"]
        assert paper.figure.caption and paper.table.caption and paper.table.rows


def test_citations_form_a_graph_over_the_demo_papers():
    papers = corpus.by_arxiv()
    edges = [(p.arxiv_id, c) for p in papers.values() for c in p.cites]
    assert len(edges) >= 30
    assert all(target in papers and target != source for source, target in edges)
    # Only the two oldest papers cite nothing within the set; BERT cites only the Transformer.
    assert sum(1 for p in papers.values() if len(p.cites) >= 2) == 9
    assert {p.arxiv_id for p in papers.values() if not p.cites} == {"1503.02531", "1706.03762"}
    # Papers cite only what existed before them.
    for source, target in edges:
        assert papers[target].year <= papers[source].year, (source, target)


def test_two_papers_carry_a_chinese_abstract():
    with_zh = {p.arxiv_id for p in corpus.papers() if p.abstract_zh}
    assert with_zh == {"2106.09685", "1503.02531"}
    assert "低秩适配" in corpus.by_arxiv()["2106.09685"].abstract_zh


def test_reference_style():
    assert format_authors(("A One", "B Two")) == "A One and B Two"
    assert format_authors(("A One", "B Two", "C Three")) == "A One, B Two, and C Three"
    assert format_authors(tuple("ABCDEF")) == "A, B, C, et al."
    lora = corpus.by_arxiv()["2106.09685"]
    assert format_reference(lora) == (
        "Edward J. Hu, Yelong Shen, Phillip Wallis, et al. LoRA: Low-Rank Adaptation of Large Language Models. "
        "ICLR, 2022. arXiv:2106.09685."
    )
    entries = reference_list(lora, corpus.by_arxiv())
    assert len(entries) == len(lora.cites) + len(lora.external_refs)
    assert entries == sorted(entries, key=str.casefold)
    assert not any(".." in e for e in entries)
