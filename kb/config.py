"""The user's settings: config.toml in the data dir, deep-merged over defaults.

Secrets (the Zotero API key, a Chroma token) never live here: see kb.zotero.credentials.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from kb import atomic
from kb.errors import BadInput

DEFAULTS: dict[str, Any] = {
    "zotero": {
        "source": "", "library_id": "", "library_type": "user", "endpoint": "", "sqlite_path": "", "data_dir": "",
        "base_dir": "", "bibtex_path": "", "timeout_s": 30.0, "retries": 4, "retry_backoff_s": 1.0, "match_threshold": 90.0,
    },
    "index": {
        "model": "all-MiniLM-L6-v2",
        "chroma_url": "",
        "chunk_tokens": 200,
        "chunk_overlap": 40,
        "pdf_timeout_s": 60,
        "query_server": True,  # `kb search` keeps a warm query server per data home (kb.search.server)
        "query_server_idle_s": 600,
    },
    "notes": {"dir": "", "editor": ""},
    "review": {"desired_retention": 0.9, "new_per_day": 20, "reviews_per_day": 200},
    "viewer": {"command": ""},
    "brief": {"lang": ""},
}


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load(path: Path) -> dict[str, Any]:
    if not path.exists():
        return copy.deepcopy(DEFAULTS)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"config file {path} is not valid TOML: {exc}", "fix it or delete it to get the defaults back") from exc
    return _merge(DEFAULTS, data)


def save(path: Path, config: dict[str, Any]) -> None:
    import tomli_w

    atomic.write_text(path, tomli_w.dumps(config))


def set_value(path: Path, dotted_key: str, value: Any) -> dict[str, Any]:
    """Set one `section.key` and save; values keep the type of the default where there is one."""
    config = load(path)
    section, _, key = dotted_key.partition(".")
    if not key or section not in DEFAULTS:
        raise BadInput(f"unknown setting {dotted_key!r}", f"sections are: {', '.join(DEFAULTS)}")
    default = DEFAULTS[section].get(key)
    if isinstance(default, bool):
        value = str(value).lower() in ("1", "true", "yes", "on")
    elif isinstance(default, int):
        try:
            value = int(value)
        except ValueError as exc:
            raise BadInput(f"{dotted_key} takes a whole number, not {value!r}") from exc
    elif isinstance(default, float):
        try:
            value = float(value)
        except ValueError as exc:
            raise BadInput(f"{dotted_key} takes a number, not {value!r}") from exc
    config.setdefault(section, {})[key] = value
    save(path, config)
    return config
