"""Reading a note the way its writer meant it: sections by headings, labels or words, cards as
plain text, nothing dropped; and the slide rules (six bullets, ninety characters, the rest in notes)."""

from __future__ import annotations

from kb.brief import note_text
from kb.brief.deck import MAX_CHARS, Slide, _Builder, shorten
from kb.brief.numbers import has_measurement


def _read(tmp_path, text: str, title: str | None = None) -> note_text.NoteContent:
    path = tmp_path / "note.md"
    path.write_text(text, encoding="utf-8")
    return note_text.read(path, title)


def test_own_headings_in_chinese_and_english_are_placed_by_their_words(tmp_path):
    note = _read(tmp_path, "## 动机\n大模型部署太贵。\n\n## 核心思路\n用软目标训练学生。\n\n## Experiments\nBLEU 28.4 vs 26.3.\n\n"
                           "## 我的疑问\n为什么 T 要平方？\n\n## Random thoughts\nRead the appendix again.\n")
    assert note.blocks == {"problem": ["大模型部署太贵。"], "method": ["用软目标训练学生。"], "results": ["BLEU 28.4 vs 26.3."],
                           "questions": ["为什么 T 要平方？"], "notes": ["Read the appendix again."]}


def test_leading_labels_place_a_paragraph_and_are_removed(tmp_path):
    note = _read(tmp_path, "**方法**：温度 T 软化 softmax。\n\nProblem: ensembles are too slow to deploy.\n")
    assert note.blocks == {"method": ["温度 T 软化 softmax。"], "problem": ["ensembles are too slow to deploy."]}


def test_cards_become_plain_questions_and_answers(tmp_path):
    text = ("## Method\nWhat is frozen? :: W0\n\n- Why zero B? ::: so BA = 0 at the start\n\n"
            "The update is {{c1::low-rank}} and {{c2::mergeable::property}}.\n\nA question on two lines\n?\nits answer\n\n"
            "See std::vector here.\n")
    note = _read(tmp_path, text)
    method = note.blocks["method"]
    assert method[:3] == ["What is frozen? — W0", "Why zero B? — so BA = 0 at the start", "The update is low-rank and mergeable."]
    assert method[3] == "A question on two lines — its answer"
    assert method[4] == "See std::vector here."  # code, not a card
    assert note.cards == 5 and not note.only_cards


def test_a_note_of_only_cards_is_known_and_its_cards_kept(tmp_path):
    note = _read(tmp_path, "---\ncitekey: x\n---\nQ1? :: A1\nQ2 :: the {{c1::answer}}\n")
    assert note.only_cards and note.blocks == {"notes": ["Q1? — A1", "Q2 — the answer"]}


def test_the_templates_title_byline_abstract_and_prompts_are_not_the_users_words(tmp_path):
    text = ("---\ncitekey: x\n---\n# LoRA\n\n*Hu et al. (2021)*\n\n> We propose LoRA, which freezes the weights.\n\n"
            "## Problem\n\n<!-- What problem does the paper solve? -->\n\n## Key results\n\n<!-- The numbers -->\n")
    assert _read(tmp_path, text, "LoRA").blocks == {}


def test_free_paragraphs_go_by_what_they_say_and_nothing_is_dropped(tmp_path):
    text = ("这篇论文讲知识蒸馏，大模型部署太贵。\n\n教师在高温下给出软目标，学生拟合它。\n\n蒸馏后只有 74 个错误，比直接训练的 146 个少很多。\n\n"
            "温度为什么不能太高？\n\n顺便记一下：作者是 Hinton。\n")
    note = _read(tmp_path, text)
    assert note.lang == "zh"
    assert [k for k in note.blocks] == ["problem", "method", "results", "questions", "notes"]
    assert sum(len(v) for v in note.blocks.values()) == 5


def test_measurements_are_numbers_with_units_or_comparisons_not_citations_or_years():
    assert has_measurement("DistilBERT is 40% smaller and 60% faster than BERT.")
    assert has_measurement("errors fell from 146 to 74 with distillation")
    assert has_measurement("speeds up GPT-2 training 2-4× compared to HuggingFace")
    assert not has_measurement("Transformers [12, 34] were introduced in 2017 (Section 3).")
    assert not has_measurement("We use a sequence length of 128 to match the adapter baselines.")


def test_a_slide_keeps_six_short_bullets_and_moves_the_rest_to_its_notes():
    slide = Slide("Method")
    builder = _Builder(slide, " (paper)")
    long = "Freeze the pretrained weight W0 and learn the update as a low-rank product BA, " * 3
    for i in range(8):
        builder.add(f"{i} {long}", "quote" if i == 0 else "own")
    assert len(slide.bullets) == 6 and all(len(b.text) <= MAX_CHARS for b in slide.bullets)
    assert slide.bullets[0].text.endswith("(paper)")
    assert len(slide.notes) == 8 and slide.notes[7].startswith("7 Freeze")  # nothing lost
    assert len(shorten("知识蒸馏" * 40)) <= MAX_CHARS


def test_a_long_sentence_from_the_paper_keeps_the_clause_with_its_number():
    from kb.brief.deck import number_clause

    lora = ("Compared to GPT-3 175B fine-tuned with Adam, LoRA can reduce the number of trainable parameters by "
            "10,000 times and the GPU memory requirement by 3 times.")
    assert "10,000 times" in number_clause(lora, 80) and "10,000 times" not in shorten(lora, 80)  # the naive cut loses it
    assert len(number_clause(lora, 80)) <= 80
