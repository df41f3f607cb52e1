"""The Zotero API key: in `<home>/credentials.toml`, mode 0600, never in config.toml, output
or messages. `KB_ZOTERO_API_KEY` in the environment wins (for CI and one-off runs)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from kb import atomic
from kb.errors import BadInput

ENV_VAR = "KB_ZOTERO_API_KEY"


def path(home: Path) -> Path:
    return home / "credentials.toml"


def _read(home: Path) -> dict:
    file = path(home)
    if not file.exists():
        return {}
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        # The parser's message may quote the file's contents, that is the key: leave it out.
        raise BadInput(f"{file} is not valid TOML", "delete it and run `kb zotero setup --api-key …` again") from None


def save_api_key(home: Path, key: str) -> None:
    import tomli_w

    key = key.strip()
    if not key:
        raise BadInput("the API key is empty", "create one at https://www.zotero.org/settings/keys")
    data = _read(home)
    data.setdefault("zotero", {})["api_key"] = key
    atomic.write_text(path(home), tomli_w.dumps(data), mode=0o600)


def load_api_key(home: Path) -> str | None:
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return env
    return (_read(home).get("zotero") or {}).get("api_key") or None


def has_api_key(home: Path) -> bool:
    return load_api_key(home) is not None
