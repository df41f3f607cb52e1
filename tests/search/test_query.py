"""Query parsing: empty, huge, FTS5 syntax, Chinese; the glossary."""

from __future__ import annotations

import pytest

from kb.errors import BadInput
from kb.search import glossary
from kb.search.query import MAX_QUERY_CHARS, fts_expression, parse


@pytest.mark.parametrize("raw", ["", "   ", "\n\t", None, "\x00\x01"])
def test_empty_query_is_refused_with_a_hint(raw):
    with pytest.raises(BadInput) as err:
        parse(raw)
    assert "empty" in err.value.message and err.value.hint


def test_ten_thousand_characters_are_cut_at_a_word():
    raw = ("attention " * 1000)[:10_000]
    q = parse(raw)
    assert len(q.text) <= MAX_QUERY_CHARS and q.text.endswith("attention")
    assert q.terms == ["attention"]


@pytest.mark.parametrize("raw", ['"unbalanced', "flash*", "a NEAR b", "NEAR(x y)", "x AND OR NOT y", "col:value", "^start", "(((", '""'])
def test_fts_syntax_becomes_quoted_words(raw, store):
    q = parse(raw)
    expression = q.fts
    if expression is not None:
        for part in expression.split(" OR "):
            assert part.startswith('"') and part.endswith('"')
        # Must be valid FTS5: the database accepts it.
        store.all("SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ?", (expression,))


def test_quotes_inside_terms_are_escaped():
    assert fts_expression(['say "hi"']) == '"say ""hi"""'
    assert fts_expression(["ab", "x"]) is None  # trigram needs three characters


def test_glossary_is_large_and_knows_the_basics():
    g = glossary.load()
    assert len(g) >= 300
    for chinese, english in [("知识蒸馏", "knowledge distillation"), ("量化", "quantization"), ("低秩", "low-rank"),
                             ("剪枝", "pruning"), ("混合精度", "mixed precision"), ("注意力", "attention")]:
        assert g.terms[chinese][0] == english


def test_chinese_query_expands_longest_match_first():
    q = parse("低秩适配的显存占用")
    assert q.expansion.matched == ["低秩适配", "显存占用"]
    assert q.dense_text == "low-rank adaptation memory footprint"
    assert q.terms[:2] == ["low-rank adaptation", "memory footprint"]


def test_mixed_query_keeps_english_words_and_unknown_chinese():
    q = parse("LoRA 的量化 误差 龘龘龘")
    assert q.dense_text == "LoRA quantization error"
    assert "LoRA" in q.terms and "quantization" in q.terms and "龘龘龘" in q.terms


def test_glossary_parser_skips_comments_and_blank_lines():
    g = glossary.parse("# comment\n\n蒸馏\tdistillation\n坏行\n量化\tquantization|quantized\n")
    assert g.terms == {"蒸馏": ("distillation",), "量化": ("quantization", "quantized")}
    assert g.longest == 2


def test_an_english_term_is_found_at_the_start_of_a_word_only():
    """Titles and abstracts are matched by trigrams, inside words: "low" found "flow", and a
    search for "low rank" on a real 527-item BibTeX library ranked "Spatial organization of the
    flow of genetic information in bacteria" third, marked "f«low»"."""
    from kb.search.snippet import snippet

    assert snippet("the flow of genetic information", ["low"]) == "the flow of genetic information"
    assert snippet("LoRA: Low-Rank Adaptation, the lowest rank", ["low", "rank"]) == \
        "LoRA: «Low»-«Rank» Adaptation, the «low»est «rank»"
    assert snippet("only 13.6% or 3.6% more", ["3.6"]) == "only 13.6% or «3.6»% more"
    assert snippet("我们提出低秩适配方法", ["低秩适配"]) == "我们提出«低秩适配»方法"  # Chinese: anywhere


def test_a_title_that_holds_the_query_only_inside_words_is_not_a_match(store):
    from kb import papers
    from kb.index.lexical import sync_papers
    from kb.search.hybrid import search_lexical

    for title in ("LoRA: Low-Rank Adaptation of Large Language Models", "Spatial organization of the flow of genetic information",
                  "Compacter: Efficient Low-Rank Hypercomplex Adapter Layers"):
        papers.upsert(store, title=title)
    sync_papers(store)
    found = [hit.title for hit in search_lexical(store, "low rank")]
    assert found == ["LoRA: Low-Rank Adaptation of Large Language Models", "Compacter: Efficient Low-Rank Hypercomplex Adapter Layers"]
