import subprocess
import sys

import pytest

from kb.errors import BadInput, NotFound
from reproductions import registry
from tests.conftest import REPO


def test_four_reproductions_with_papers_and_presets():
    specs = {s.name: s for s in registry.all_reproductions()}
    assert {n: s.paper for n, s in specs.items()} == {
        "lora": "2106.09685", "kd": "1503.02531", "llm-int8": "2208.07339", "flashattention": "2205.14135"}
    for s in specs.values():
        assert [p.name for p in s.presets] == ["tiny", "quick", "full"]
        assert s.preset("quick").seconds <= 120  # LoRA's too, on MiniLM's first 2 layers (issue 16)
        assert s.claim and s.module == f"reproductions.{s.module.split('.')[-1]}"
        s.config("tiny"), s.config("quick"), s.config("full")  # every preset value passes its own checks


def test_plan_items_link_to_reproductions():
    names = lambda text: [s.name for s in registry.for_plan_item(text)]  # noqa: E731
    assert names("复现简单的LoRA微调实验") == ["lora"]
    assert names("实现知识蒸馏 (distillation) 的小实验") == ["kd"]
    assert names("了解模型量化：int8 推理") == ["llm-int8"]
    assert names("读 FlashAttention 并实现 online softmax") == ["flashattention"]
    assert names("explorations in floral classification") == []


def test_for_paper_uses_the_arxiv_id(store):
    from kb.papers import upsert

    paper, _ = upsert(store, title="LoRA: Low-Rank Adaptation of Large Language Models", arxiv_id="2106.09685")
    other, _ = upsert(store, title="Attention Is All You Need", arxiv_id="1706.03762")
    assert [s.name for s in registry.for_paper(store, paper.id)] == ["lora"]
    assert registry.for_paper(store, other.id) == []


def test_set_values_are_typed_and_range_checked():
    spec = registry.get("lora")
    assert spec.parse_sets(["rank=4", "lora_lr=2e-3"]) == {"rank": 4, "lora_lr": 0.002}
    cfg = spec.config("quick", {"rank": "4"})
    assert cfg["rank"] == 4 and cfg["steps"] == spec.preset("quick").values.get("steps", spec.param("steps").default)
    with pytest.raises(BadInput, match="out of range"):
        spec.parse_sets(["rank=0"])
    with pytest.raises(BadInput, match="not a valid int"):
        spec.parse_sets(["rank=__import__('os')"])
    with pytest.raises(BadInput, match="no parameter"):
        spec.parse_sets(["nope=1"])
    with pytest.raises(BadInput, match="key=value"):
        spec.parse_sets(["rank"])
    with pytest.raises(BadInput, match="unknown preset"):
        spec.config("huge")
    with pytest.raises(NotFound):
        registry.get("gpt5")
    assert registry.get("distillation").name == "kd"


def test_registry_and_runner_import_no_heavy_library():
    code = ("import reproductions, reproductions.registry as r, reproductions.runner, reproductions.records, kb.cli.repro\n"
            "r.all_reproductions(); r.for_plan_item('LoRA')\nimport sys\n"
            "print(sorted(m for m in ('torch','transformers','peft','textual','numpy','sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
