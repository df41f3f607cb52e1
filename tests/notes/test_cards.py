"""The card parser: every syntax, every malformed card, and no exception on any input."""

from hypothesis import given, settings, strategies as st

from notes.cards import ParsedCard, parse, parse_cards


def test_one_line_card_with_list_marker():
    (card,) = parse_cards("- What does LoRA freeze? :: the pretrained weights")
    assert (card.kind, card.front, card.back, card.line) == ("basic", "What does LoRA freeze?", "the pretrained weights", 1)


def test_triple_colon_and_no_spaces_are_cards():
    cards = parse_cards("Q1 ::: A1\nWhat is r?::the rank\nLoRA:::low-rank")
    # A separator glued to word characters on both sides reads as code (LoRA:::low-rank).
    assert [(c.front, c.back) for c in cards] == [("Q1", "A1"), ("What is r?", "the rank")]


def test_double_colon_inside_words_or_code_is_not_a_card():
    assert parse_cards("We use std::vector here.\nCall `a :: b` in Haskell.") == []


def test_multiline_card_with_question_mark_line():
    text = "intro :: line\nWhy low rank?\nExplain briefly.\n?\nThe update has\nlow intrinsic rank.\n\nafter"
    cards = parse_cards(text)
    assert [(c.front, c.back, c.line) for c in cards] == [
        ("intro", "line", 1),
        ("Why low rank?\nExplain briefly.", "The update has\nlow intrinsic rank.", 2),
    ]


def test_cloze_makes_one_card_per_number_and_uses_hints():
    cards = parse_cards("{{c1::Attention}} is all you {{c2::need::verb}}, says {{c1::Vaswani}}")
    assert [(c.cloze_index, c.front, c.back) for c in cards] == [
        (1, "[...] is all you need, says [...]", "Attention is all you need, says Vaswani"),
        (2, "Attention is all you [verb], says Vaswani", "Attention is all you need, says Vaswani"),
    ]
    assert all(c.kind == "cloze" and c.source.startswith("{{c1::") for c in cards)


def test_front_matter_code_fences_comments_and_headings_hold_no_cards():
    text = "---\ntitle: a :: b\n---\n# Q :: A\n```\nx :: y\n```\n<!-- c :: d\n e :: f -->\nreal :: card"
    assert [(c.front, c.line) for c in parse_cards(text)] == [("real", 10)]


def test_malformed_cards_are_issues_not_cards():
    text = "only question ::\n:: only answer\n ::\n{{c1::never closed\n{{c1::}} empty cloze\n?\n\nQ\n?\n"
    result = parse(text)
    assert result.cards == []
    problems = [(i.line, i.problem.split(" (")[0]) for i in result.issues]
    assert problems == [
        (1, "a card with only a question"),
        (2, "a card with an empty question"),
        (3, "an empty card"),
        (4, "a cloze without closing braces '}}'"),
        (5, "an empty cloze c1"),
        (6, "a '?' card with no question above it"),
        (8, "a card with only a question"),
    ]


def test_key_ignores_whitespace_but_not_words():
    a, b, c = parse_cards("What is r? :: the rank\n  What  is r?   ::   the  rank\nWhat is r? :: the size")
    assert a.key == b.key != c.key


def test_windows_line_endings():
    cards = parse_cards("Q1 :: A1\r\nQ2\r\n?\r\nA2\r\n")
    assert [(c.front, c.back) for c in cards] == [("Q1", "A1"), ("Q2", "A2")]


def test_chinese_cards():
    (card,) = parse_cards("LoRA 的核心思想是什么？ :: 冻结预训练权重，只训练低秩分解矩阵")
    assert card.front == "LoRA 的核心思想是什么？" and card.back.startswith("冻结")


markdownish = st.lists(
    st.sampled_from(list("ab c?:{}#-`\n~<>!1") + ["::", "{{c1::", "{{c2::", "}}", "\n?\n", "---\n", "```\n", "<!--", "-->", "\n\n"]),
    max_size=80,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=300), markdownish))
def test_never_raises_and_is_deterministic(text):
    first = parse(text)
    assert parse(text) == first
    for card in first.cards:
        assert card.front.strip() and card.back.strip()
        assert card.kind in ("basic", "cloze")


basic_side = st.text(alphabet=st.sampled_from(list("abcdefgh xyz,.") + ["是", "的"]), min_size=1, max_size=30).filter(lambda s: s.strip())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(basic_side, basic_side), min_size=1, max_size=8))
def test_rendered_cards_parse_back_to_themselves(pairs):
    text = "\n".join(f"{q} :: {a}" for q, a in pairs)
    cards = parse_cards(text)
    assert [(c.front, c.back) for c in cards] == [(q.strip(), a.strip()) for q, a in pairs]
    # Parsing what was parsed (rendered again from the cards) changes nothing: idempotent.
    again = parse_cards("\n".join(f"{c.front} :: {c.back}" for c in cards))
    assert [(c.front, c.back, c.key) for c in again] == [(c.front, c.back, c.key) for c in cards]


def test_parsed_card_is_hashable_value():
    assert ParsedCard("basic", "q", "a", 1, "q :: a") == ParsedCard("basic", "q", "a", 1, "q :: a")
