"""A search result's two lines: the paper, then where the query matched."""

from __future__ import annotations

from tui.screens.search import hit_label

LORA = "LoRA: Low-Rank Adaptation of Large Language Models"


def test_a_title_match_shows_the_title_once_with_the_query_marked():
    """The snippet of a title match is the title itself: the list showed every such title twice
    (found on a real BibTeX library of 527 items, searching "low rank")."""
    label = hit_label({"title": LORA, "snippet": "LoRA: «Low-Rank» Adaptation of Large Language Models", "source": "title",
                       "page": None, "section": None}, "low rank")
    assert label.plain.count("Low-Rank Adaptation") == 1
    assert label.plain.splitlines() == [LORA, "found in the title"]
    marked = [label.plain[span.start:span.end] for span in label.spans if "reverse" in str(span.style)]
    assert marked == ["Low-Rank"]


def test_a_chunk_match_shows_the_title_then_the_passage():
    label = hit_label({"title": LORA, "snippet": "we propose «low-rank» adaptation", "source": "chunk", "page": 2,
                       "section": "Introduction"}, "low rank")
    assert label.plain.splitlines() == [f"{LORA}  p.2 · Introduction", "we propose low-rank adaptation"]


def test_brackets_in_a_title_are_text_not_markup():
    label = hit_label({"title": "A [sigma]-core interaction [/b]", "snippet": "A [sigma]-core «interaction» [/b]", "source": "title"}, "x")
    assert label.plain.splitlines()[0] == "A [sigma]-core interaction [/b]"
