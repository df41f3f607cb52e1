"""Plans in the legacy encodings people save them in (Big5, Shift-JIS, EUC-KR, GBK) are read as
what they are, and files that are not regular files are refused before a byte is read."""

from __future__ import annotations

import os
import threading

import pytest

from kb.errors import BadInput
from kb.plans import importer
from kb.plans.decode import decode_bytes, read_plan_file

BIG5 = ("# 大型語言模型閱讀計畫\n\n## 第一週：基礎\n\n- **論文閱讀**：\n  - 《Attention Is All You Need》\n"
        "  - 《BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding》\n- 書籍：《深度學習》第1-3章\n")
SJIS = ("# 大規模言語モデル読書計画\n\n## 第1週：基礎\n\n- 論文：「Attention Is All You Need」\n"
        "- 論文：「LoRA: Low-Rank Adaptation of Large Language Models」\n- BERTの実装を読んでノートを書く\n")
EUCKR = "# 대규모 언어 모델 읽기 계획\n\n## 1주차\n\n- **Papers**:\n  - \"Attention Is All You Need\"\n  - 논문 읽기 노트 정리\n"
GBK = "# 大模型阅读计划\n\n## 第一周：基础\n\n- **论文阅读**：\n  - “Attention Is All You Need”\n  - 阅读 BERT 论文并写笔记\n"


@pytest.mark.parametrize("text,encoding,shown", [
    (BIG5, "big5", "Big5"), (SJIS, "shift_jis", "Shift-JIS"), (EUCKR, "euc_kr", "EUC-KR"), (GBK, "gbk", "GBK"),
])
def test_legacy_encodings_are_detected_not_guessed(text, encoding, shown):
    decoded = decode_bytes(text.encode(encoding), name="plan.md")
    assert decoded.text == text, decoded.encoding
    assert shown in decoded.note


def test_a_big5_plan_imports_with_its_papers(store):
    [plan] = importer.parse_text(decode_bytes(BIG5.encode("big5")).text)
    assert [i.title for i in plan.papers] == ["Attention Is All You Need",
                                              "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"]
    assert [i.title for i in plan.items if i.kind == "book"] == ["深度學習"]


def test_the_naive_guesser_would_have_stored_shift_jis_as_mojibake():
    """What went wrong before: Shift-JIS bytes decode as GB18030 without an error."""
    data = SJIS.encode("shift_jis")
    assert data.decode("gb18030") != SJIS  # decodes, as nonsense
    assert decode_bytes(data).text == SJIS


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "plan.md"
    os.mkfifo(fifo)
    result: dict = {}

    def run():
        try:
            read_plan_file(fifo)
        except BadInput as exc:
            result["error"] = exc.message

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(5)
    assert not t.is_alive(), "reading a FIFO blocked"
    assert "named pipe" in result["error"]


def test_a_device_is_refused_without_reading():
    with pytest.raises(BadInput, match="is a device"):
        read_plan_file("/dev/zero")


SHORT_PLANS = [
    "# 閱讀計畫\n\n## 第一週\n\n- **論文閱讀**：\n  - 《Attention Is All You Need》\n",
    "# 閱讀\n- 論文：《LoRA》\n",
    "# 读书计划\n- 论文：《LoRA》\n",
    "# 読書\n- 論文を読む\n",
    "# 대규모 언어 모델 읽기 계획\n\n## 1주차\n- 논문 읽기\n",
]


def _encodable():
    for text in SHORT_PLANS:
        for encoding in ("big5", "gbk", "shift_jis", "euc_kr"):
            try:
                yield text, encoding, text.encode(encoding)
            except UnicodeEncodeError:
                continue  # this encoding cannot hold this script


@pytest.mark.parametrize("text,encoding,data", list(_encodable()))
def test_short_plans_are_read_right_in_every_encoding_they_fit(text, encoding, data):
    """Short files are where detectors slip: a two-line Big5 plan once came out as Shift-JIS
    half-width katakana, a two-line GBK plan as UTF-16 or Korean."""
    assert decode_bytes(data).text == text
