"""One schema for config.toml and one check for the CLI's numbers (kb/values.py)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings, strategies as st

from kb import config
from kb.errors import BadInput
from kb.values import INT64, Float, Int, Text, row_id


def test_every_default_has_a_schema_entry_and_passes_it():
    for section, values in config.DEFAULTS.items():
        for key, default in values.items():
            assert key in config.SCHEMA[section], f"{section}.{key} has no schema entry"
    checked, warnings = config.validate({})
    assert warnings == [] and checked["review"]["new_per_day"] == 20


@pytest.mark.parametrize("toml,fragment", [
    ('[review]\nnew_per_day = "20"\n', "is text, not a number"),
    ("[review]\nnew_per_day = 1e20\n", "out of range"),
    ("[review]\nnew_per_day = -20\n", "out of range"),
    ("[review]\nnew_per_day = 2.5\n", "not a whole number"),
    ("[review]\nnew_per_day = true\n", "not a whole number"),
    ("[review]\ndesired_retention = nan\n", "not a finite number"),
    ("[review]\ndesired_retention = inf\n", "not a finite number"),
    ("[review]\ndesired_retention = 1.5\n", "out of range"),
    ("[zotero]\ntimeout_s = -1.0\n", "out of range"),
    ('[zotero]\nlibrary_type = "team"\n', "not a choice"),
    ("[viewer]\ncommand = 3\n", "is not text"),
    ('[notes]\ndir = "a\\nb"\n', "line break"),
    ("[index]\nchunk_tokens = 100\nchunk_overlap = 100\n", "not smaller than"),
    ("review = 3\n", "not a table"),
])
def test_a_wrong_setting_is_one_clear_error(tmp_path, toml, fragment):
    path = tmp_path / "config.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(BadInput) as err:
        config.load(path)
    assert fragment in err.value.message and "\n" not in err.value.message


def test_a_huge_value_is_refused_without_quoting_it_whole(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[viewer]\ncommand = "' + "x" * 10_000_000 + '"\n', encoding="utf-8")
    with pytest.raises(BadInput) as err:
        config.load(path)
    assert "10,000,000 characters" in err.value.message and len(str(err.value)) < 400


def test_unknown_keys_are_warned_with_the_nearest_known_one(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[review]\nnew_per_dya = 5\n[reveiw]\nx = 1\n", encoding="utf-8")
    seen: list[str] = []
    loaded = config.load(path, warn=seen.append)
    assert loaded["review"]["new_per_day"] == 20
    assert any("did you mean review.new_per_day?" in w for w in seen) and any("did you mean [review]?" in w for w in seen)


def test_kb_config_set_checks_the_value_and_keeps_the_rest_of_the_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("# my settings\n[viewer]\ncommand = \"zathura {path}\"\n", encoding="utf-8")
    config.set_value(path, "review.new_per_day", "30")
    assert config.load(path)["review"]["new_per_day"] == 30 and config.load(path)["viewer"]["command"] == "zathura {path}"
    for key, value in [("review.new_per_day", "-20"), ("review.new_per_day", "1e20"), ("review.desired_retention", "nan"),
                       ("review.desired_retention", "inf"), ("viewer.command", "x" * 5000)]:
        with pytest.raises(BadInput):
            config.set_value(path, key, value)
    with pytest.raises(BadInput, match="did you mean review.new_per_day"):
        config.set_value(path, "review.new_per_dy", "3")
    assert config.load(path)["review"]["new_per_day"] == 30  # nothing refused was written


def test_settings_from_elsewhere_are_paths_outside_the_home_programs_servers_and_models(tmp_path):
    home = tmp_path / "home"
    data = {"notes": {"dir": str(home / "notes-here"), "editor": "vim"}, "viewer": {"command": "zathura {path}"},
            "zotero": {"sqlite_path": "/elsewhere/zotero.sqlite", "endpoint": "http://evil.example", "retries": 2},
            "index": {"model": "all-MiniLM-L6-v2", "chroma_url": ""}}
    assert sorted(config.settings_from_elsewhere(data, home)) == ["notes.editor", "viewer.command", "zotero.endpoint", "zotero.sqlite_path"]
    data["index"]["model"] = "/tmp/some-model"
    assert "index.model" in config.settings_from_elsewhere(data, home)


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(st.integers(min_value=-(10**40), max_value=10**40), st.floats(allow_nan=True, allow_infinity=True),
                       st.text(max_size=30), st.booleans()))
def test_a_checked_number_is_in_range_or_refused(value):
    for check in (Int(0, 10_000), Float(0.7, 0.99)):
        for raw in (value, str(value)):
            try:
                got = check.check(raw, "x")
            except BadInput:
                continue
            assert check.lo <= got <= check.hi and math.isfinite(got) and not isinstance(got, bool)
            if isinstance(check, Int):
                assert isinstance(got, int)


def test_text_checks_length_and_line_breaks():
    assert Text(10).check("short", "x") == "short"
    for bad in ("x" * 11, "a\nb", "a\x00b", 3):
        with pytest.raises(BadInput):
            Text(10).check(bad, "x")


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.integers(min_value=-(10**40), max_value=10**40).map(str), st.text(max_size=30),
                      st.just("9" * 5000), st.sampled_from(["²", "١٢", " 7 ", "007", "0\x1f", str(INT64), str(INT64 + 1)])))
def test_a_row_id_is_an_sqlite_integer_or_none(text):
    """What a PAPER, RUN or ITEM argument is looked up by as an id: never an int SQLite cannot
    bind, never an exception (int() refuses "²" and, since Python 3.11, 5,000 digits)."""
    got = row_id(text)
    assert got is None or (isinstance(got, int) and 0 <= got <= INT64)
    digits = text.strip()  # str.strip() also takes \x1c-\x1f, which int() would refuse
    if digits.isascii() and digits.isdigit() and len(digits) < 100 and int(digits) <= INT64:
        assert got == int(digits)


@pytest.mark.parametrize("args,fragment", [
    (["review", "due", "--limit", "-1"], "-1 is out of range: a whole number from 1 to 100,000"),
    (["review", "due", "--limit", "abc"], "abc is not a whole number"),
    (["review", "rate", str(10**30), "good"], "is out of range: a whole number from 1 to 9,223,372,036,854,775,807"),
    (["brief", "--since", "99999999d"], "99999999d is out of range"),
    (["brief", "--since", "9999999w"], "9999999w is out of range"),
    (["repro", "run", "lora", "--seed", str(2**40)], "is out of range: a whole number from 0 to 4,294,967,295"),
    (["plan", "show", "--week", "0"], "0 is out of range"),
    (["search", "x", "--year", "99999"], "out of range"),
    (["open", "1", "--page", "0"], "out of range"),
])
def test_cli_numbers_out_of_range_exit_2_with_the_allowed_range(cli, args, fragment):
    code, out, err = cli(*args)
    assert code == 2, (code, out, err)
    assert fragment in err and "Traceback" not in err


def test_a_period_within_range_still_works(cli):
    code, out, err = cli("brief", "--since", "36500d", "--json")
    assert code == 0, err
