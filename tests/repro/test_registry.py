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


def test_values_the_run_would_refuse_are_refused_before_a_run_is_recorded(store, home, tmp_path):
    """Checks across parameters, and `layers` against the model's depth, happen in config(): a bad
    `--set` is BadInput (exit 2) before the worker starts, not a recorded run that errs (exit 1)."""
    import json

    from reproductions import encoder, runner

    with pytest.raises(BadInput, match="no sequence length to measure"):
        runner.start(home, "flashattention", params={"min_len": 4096, "max_len": 256})
    with pytest.raises(BadInput, match="one sequence length to measure") as one:
        runner.start(home, "flashattention", params={"min_len": 1024, "max_len": 1500})
    assert one.value.hint == "make max_len at least twice min_len: --set max_len=2048"
    with pytest.raises(BadInput, match="max_len=65536 leave one") as top:
        registry.get("flashattention").config("quick", {"min_len": 65536, "max_len": 65536})
    assert "--set min_len=32768" in top.value.hint  # max_len cannot go higher: lower min_len instead
    with pytest.raises(BadInput, match="the model has 6 layers"):
        runner.start(home, "lora", params={"layers": 7})
    with pytest.raises(BadInput, match="line break"):
        registry.get("lora").parse_sets(["model=a\nb"])
    assert store.scalar("SELECT count(*) FROM runs") == 0
    assert registry.get("lora").config("quick", {"layers": 6})["layers"] == 6
    distil = tmp_path / "distil"
    distil.mkdir()
    (distil / "config.json").write_text(json.dumps({"n_layers": 3}))
    assert encoder.depth(str(distil)) == 3 and encoder.depth("") == 6
    with pytest.raises(BadInput, match="has 3 layers"):
        registry.get("lora").config("quick", {"model": str(distil), "layers": 4})
    encoder.check_layers("some-org/some-hub-model", 99)  # depth unknown until loaded: truncate() says


def test_registry_and_runner_import_no_heavy_library():
    code = ("import reproductions, reproductions.registry as r, reproductions.runner, reproductions.records, kb.cli.repro\n"
            "r.all_reproductions(); r.for_plan_item('LoRA')\nimport sys\n"
            "print(sorted(m for m in ('torch','transformers','peft','textual','numpy','sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
