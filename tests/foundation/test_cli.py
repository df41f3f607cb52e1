"""The `kb` command line as a whole: every registered command loads, has help, and is documented."""

import json

import click
import pytest

from kb.cli.main import COMMANDS, cli
from tests.conftest import REPO


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_registered_command_loads_and_has_help(name):
    ctx = click.Context(cli)
    command = cli.get_command(ctx, name)
    assert isinstance(command, click.Command), f"{COMMANDS[name][0]} is not a Click command"
    assert command.name == name
    assert command.help or command.short_help, f"kb {name} has no help text"


def test_help_lists_every_command_with_its_purpose(cli):
    code, out, _ = cli("--help")
    assert code == 0
    for name, (_, purpose) in COMMANDS.items():
        assert name in out
        assert purpose.split()[0] in out


def test_readme_documents_every_command():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [name for name in COMMANDS if f"`kb {name}" not in readme]
    assert not missing, f"README's command reference lacks: {missing}"


def test_unknown_command_and_bad_option_are_one_clear_line(cli):
    code, out, err = cli("frobnicate")
    assert code == 2 and "No such command" in err and "Traceback" not in err
    code, out, err = cli("papers", "--no-such-option")
    assert code == 2 and "No such option" in err


def test_paper_resolution_errors_exit_nonzero_with_a_hint(cli, store):
    code, out, err = cli("show", "no such paper")
    assert code == 3
    assert err.splitlines()[0] == "error: no paper matches 'no such paper'"
    assert "hint:" in err


def test_config_round_trip_keeps_types(cli, home):
    code, _, err = cli("config", "review.desired_retention", "0.85")
    assert code == 0, err
    code, out, _ = cli("config", "--json")
    assert json.loads(out)["review"]["desired_retention"] == 0.85
    code, _, err = cli("config", "review.new_per_day", "many")
    assert code == 2 and "whole number" in err
    code, _, err = cli("config", "nosuch.key", "1")
    assert code == 2 and "unknown setting" in err
