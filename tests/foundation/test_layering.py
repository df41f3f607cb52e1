"""The domain never imports the UI, and the TUI's entry never imports the heavy ML stack."""

import subprocess
import sys

import pytest

from tests.conftest import REPO

HEAVY = ("torch", "transformers", "sentence_transformers", "chromadb", "peft")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    return set(out.stdout.split())


def _all_modules(package: str) -> list[str]:
    import pkgutil
    import importlib

    pkg = importlib.import_module(package)
    return [package] + [m.name for m in pkgutil.walk_packages(pkg.__path__, package + ".") if not m.name.endswith("__main__")]


@pytest.mark.parametrize("package", ["kb", "notes", "reproductions"])
def test_domain_packages_never_import_textual(package):
    names = _all_modules(package)
    code = "import importlib\nfor n in %r:\n    importlib.import_module(n)" % (names,)
    loaded = _modules_after(code)
    assert "textual" not in loaded, f"{package} pulls in textual"


def test_tui_entry_imports_no_heavy_library():
    loaded = _modules_after("import tui.main, tui.app")
    assert "textual" in loaded
    assert not [m for m in HEAVY if m in loaded]


def test_cli_help_imports_no_heavy_library():
    loaded = _modules_after("from kb.cli.main import cli\nimport click\ntry:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass")
    assert not [m for m in HEAVY if m in loaded]
