"""A library built from the ten real PDFs with `kb add FOLDER`, once per module."""

from __future__ import annotations

import pytest

from tests.conftest import SHARED


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """(home, add --json report) for a fresh home holding the ten papers."""
    import json

    from click.testing import CliRunner

    from kb.cli.main import main

    home = tmp_path_factory.mktemp("kbhome")
    with CliRunner().isolation() as (out, _err, *_):
        code = main(["--home", str(home), "add", str(SHARED / "papers"), "--json"])
        report = json.loads(out.getvalue().decode())
    assert code == 0, report
    return home, report


@pytest.fixture
def lib_store(library):
    from kb.store import Store

    s = Store.open(library[0])
    yield s
    s.close()


@pytest.fixture
def lib_cli(library):
    from click.testing import CliRunner

    from kb.cli.main import main

    def _run(*args: str):
        with CliRunner().isolation() as (out, err, *_):
            code = main(["--home", str(library[0]), *args])
            return code, out.getvalue().decode(), err.getvalue().decode() if err is not None else ""

    return _run
