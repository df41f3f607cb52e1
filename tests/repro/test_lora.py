import torch

from reproductions import lora


def _tiny_bert():
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=60, hidden_size=48, num_hidden_layers=3, num_attention_heads=4, intermediate_size=96,
                     max_position_embeddings=32)
    return BertModel(cfg).eval()


def test_lora_trains_exactly_the_low_rank_matrices_on_query_and_value():
    base = _tiny_bert()
    total_before = sum(p.numel() for p in base.parameters())
    model = lora.add_lora(base, rank=4, alpha=8)
    trainable, total = lora.count_parameters(model)
    # eq. 3: per adapted d x d matrix, A is r x d and B is d x r; 3 layers x (query, value)
    assert trainable == 3 * 2 * (4 * 48 + 48 * 4)
    assert total == total_before + trainable
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert all("lora_" in n and (".query." in n or ".value." in n) for n in names)


def test_adapter_starts_at_identity_and_merges_with_identical_outputs():
    ids = torch.randint(0, 60, (2, 10))
    base = _tiny_bert()
    with torch.no_grad():
        ref = base(input_ids=ids).last_hidden_state.clone()
    model = lora.add_lora(base, rank=4, alpha=8)
    with torch.no_grad():
        assert torch.allclose(model(input_ids=ids).last_hidden_state, ref, atol=1e-6)  # B = 0 at start
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.5)  # as if trained
        adapted = model(input_ids=ids).last_hidden_state
        assert (adapted - ref).abs().max() > 1e-2
        merged = model.merge_and_unload()
        assert not any("lora_" in n for n, _ in merged.named_parameters())
        assert (merged(input_ids=ids).last_hidden_state - adapted).abs().max() < 1e-5


def test_minilm_rank8_trains_under_one_percent_counted_on_the_model():
    """Counted on the bundled MiniLM with the adapter PEFT actually adds (not from a formula)."""
    from reproductions import encoder

    base = encoder.load_model("")
    total_before = sum(p.numel() for p in base.parameters())
    model = lora.add_lora(base, rank=8, alpha=16)
    trainable, total = lora.count_parameters(model)
    assert total == total_before + trainable
    assert 0 < trainable / total_before < 0.01
    # eq. 3 by hand from the loaded config: 6 layers x (W_q, W_v) x (A: r x d, B: d x r)
    cfg = base.config
    assert trainable == cfg.num_hidden_layers * 2 * 2 * 8 * cfg.hidden_size


def _copy_adapter(peft_model, explicit):
    """PEFT's A and B (trained-looking values) into the explicit modules, layer by layer."""
    peft_p = {n: p for n, p in peft_model.named_parameters() if "lora_" in n}
    ours = {n: p for n, p in explicit.named_parameters() if "lora_" in n}
    with torch.no_grad():
        for name, p in ours.items():
            module, which = name.rsplit(".", 1)  # encoder.layer.0.attention.self.query.lora_A
            src = next(v for k, v in peft_p.items() if k.endswith(f"{module}.{which}.default.weight"))
            p.copy_(src)
    return len(ours)


def test_the_written_out_update_equals_peft_and_ignoring_alpha_over_r_is_caught():
    ids = torch.randint(0, 60, (2, 10), generator=torch.Generator().manual_seed(0))
    rank, alpha = 4, 16.0  # alpha / r = 4: ignoring it changes the output
    peft_model = lora.add_lora(_tiny_bert(), rank, alpha)
    with torch.no_grad():
        for n, p in peft_model.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.1)
    explicit = lora.add_lora_explicit(_tiny_bert(), rank, alpha)
    assert _copy_adapter(peft_model, explicit) == 3 * 2 * 2
    with torch.no_grad():
        want = peft_model(input_ids=ids).last_hidden_state
        got = explicit(input_ids=ids).last_hidden_state
        assert (got - want).abs().max() < 1e-5
        # merging: W0 + (alpha/r) B A in one plain Linear gives the same outputs
        q = explicit.encoder.layer[0].attention.self.query
        x = torch.randn(5, q.base.in_features)
        assert (q.merged()(x) - q(x)).abs().max() < 1e-5
        # the mutation 'alpha / r ignored' (scaling 1) no longer matches PEFT
        for m in explicit.modules():
            if hasattr(m, "scaling"):
                m.scaling = 1.0
        assert (explicit(input_ids=ids).last_hidden_state - want).abs().max() > 1e-2


def test_explicit_lora_is_initialised_like_peft():
    model = lora.add_lora_explicit(_tiny_bert(), rank=4, alpha=8)
    q = model.encoder.layer[0].attention.self.query
    assert torch.count_nonzero(q.lora_B) == 0  # B = 0: starts at W0
    bound = 1 / q.base.in_features ** 0.5  # kaiming_uniform(a=sqrt(5)) on (r, d): U(-1/sqrt(d), 1/sqrt(d))
    assert q.lora_A.abs().max() <= bound and q.lora_A.abs().max() > 0.8 * bound  # uniform, not Gaussian
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)


def test_the_runs_merge_check_passes_peft_and_fails_alpha_over_r_ignored():
    model = lora.add_lora(_tiny_bert(), rank=4, alpha=16.0)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.1)  # as if trained
    assert lora.merge_error(model) < 1e-6
    assert lora.merge_error(model, ignore_scaling=True) > 1e-2  # W0 + B A is not what PEFT merges (alpha/r = 4)
    assert any("lora_" in n for n, _ in model.named_parameters())  # merge_error merged a copy, not the model


def test_rotated_texts_keep_their_words_and_are_balanced():
    from reproductions import data

    texts = [f"Word{i} is the first of several words here." for i in range(200)]
    out, labels = data.rotated(texts, seed=0)
    assert all(sorted(a.split()) == sorted(b.split()) for a, b in zip(texts, out))  # a bag of words cannot tell
    assert all((a != b) == bool(y) for a, b, y in zip(texts, out, labels))
    assert 80 < sum(labels) < 120


def test_truncate_keeps_the_first_pretrained_layers_and_refuses_more_than_there_are():
    import pytest

    from kb.errors import KbError
    from reproductions import encoder

    base = _tiny_bert()
    first_two = list(base.encoder.layer)[:2]
    assert encoder.truncate(base, 0) is base and len(base.encoder.layer) == 3  # 0 keeps all
    cut = encoder.truncate(base, 2)
    assert list(cut.encoder.layer) == first_two and cut.config.num_hidden_layers == 2  # the same (pretrained) modules
    ids = torch.randint(0, 60, (2, 10), generator=torch.Generator().manual_seed(0))
    assert cut(input_ids=ids).last_hidden_state.shape == (2, 10, 48)
    with pytest.raises(KbError, match="has 2 layers"):
        encoder.truncate(cut, 5)


def test_head_only_on_cached_features_gives_the_classifiers_own_logits():
    """The naive variant trains its head on features computed once: they must be what the frozen
    classifier itself computes (eval mode), or the naive variant would be measured on other inputs."""
    model = lora._classifier(_tiny_bert(), 2)
    ids = torch.randint(1, 60, (4, 10), generator=torch.Generator().manual_seed(1))
    mask = torch.ones_like(ids)
    mask[0, 6:] = 0  # padding is left out of the mean
    batches = [({"input_ids": ids, "attention_mask": mask}, torch.tensor([0, 1, 0, 1]))]
    feats = lora._frozen_features(model, batches, "cpu")
    head = lora._head_on_features(model.head)
    with torch.no_grad():
        want = model(input_ids=ids, attention_mask=mask)
        assert torch.allclose(head(**feats[0][0]), want, atol=1e-6)
        unmasked = lora._head_on_features(model.head)(model.pooled(ids, torch.ones_like(ids)))
    assert (unmasked[0] - want[0]).abs().max() > 1e-4  # the mask matters: the check can tell


def test_threads_leave_a_busy_machine_one_and_an_idle_one_all_its_cores(monkeypatch):
    import os

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (8.0, 8.0, 8.0))
    assert lora._threads(0) == 1
    monkeypatch.setattr(os, "getloadavg", lambda: (0.1, 0.1, 0.1))
    assert lora._threads(0) == 2
    assert lora._threads(3) == 3  # asked for: used as asked


def test_tiny_run_reports_the_three_settings_and_both_naive_variants():
    from reproductions import worker

    cfg = lora.SPEC.config("tiny")
    ctx = worker.RunContext("cpu", 0)
    out = lora.run(cfg, ctx)
    m = out["metrics"]
    assert m["layers"] == 1 and m["test_examples_pooled"] == round(64 * cfg["test_fraction"])
    assert {"full_accuracy", "lora_accuracy", "head_only_accuracy"} <= set(m)
    params, acc, merge = out["claims"][:3]
    assert params["held"] and merge["held"] and merge["naive_held"] is False  # alpha/r ignored fails the merge check
    assert "head only" in acc["naive"] and " SE below full" in acc["naive"] and "head_only_gap_se" in m
    phases = {e["phase"] for e in ctx.events if e["event"] == "progress"}
    assert phases == {"seed 0: full fine-tuning", "seed 0: head only", "seed 0: LoRA r=8"}
