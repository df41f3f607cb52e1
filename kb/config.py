"""The user's settings: config.toml in the data dir, deep-merged over defaults and checked
against one schema (types, ranges, units) when read and when `kb config KEY VALUE` sets one.

Secrets (the Zotero API key, a Chroma token) never live here: see kb.zotero.credentials.
"""

from __future__ import annotations

import copy
import difflib
import tomllib
from pathlib import Path
from typing import Any, Callable

from kb import atomic
from kb.errors import BadInput
from kb.values import INT64, Bool, Float, Int, Text, shown

DEFAULTS: dict[str, Any] = {
    "zotero": {
        "source": "", "library_id": "", "library_type": "user", "endpoint": "", "sqlite_path": "", "data_dir": "",
        "base_dir": "", "bibtex_path": "", "group": "", "timeout_s": 30.0, "retries": 4, "retry_backoff_s": 1.0, "match_threshold": 90.0,
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
    "today": {"plan": ""},  # the plan Today shows (`kb plan use PLAN`); empty: the first imported
    # looking papers up by id online (kb/resolve): off unless the user allows the network
    "resolve": {
        "online": False, "arxiv_url": "https://export.arxiv.org/api/query", "crossref_url": "https://api.crossref.org",
        "semanticscholar_url": "https://api.semanticscholar.org/graph/v1", "openalex_url": "https://api.openalex.org",
        "openreview_url": "https://api2.openreview.net", "openreview_v1_url": "https://api.openreview.net",
        "mailto": "", "timeout_s": 15.0, "min_interval_s": 1.0, "arxiv_interval_s": 3.0,
    },
}

_PATH = Text(kind="path")
SCHEMA: dict[str, dict[str, Any]] = {
    "zotero": {
        "source": Text(16, ("", "web", "local", "sqlite", "bibtex")), "library_id": Text(64),
        "library_type": Text(16, ("user", "group")), "group": Text(64), "endpoint": Text(kind="url"), "sqlite_path": _PATH, "data_dir": _PATH,
        "base_dir": _PATH, "bibtex_path": _PATH, "timeout_s": Float(0.1, 3600, "seconds"), "retries": Int(0, 20),
        "retry_backoff_s": Float(0, 600, "seconds"), "match_threshold": Float(0, 100, "(title similarity, percent)"),
    },
    "index": {
        "model": Text(kind="model"), "chroma_url": Text(kind="url"), "chunk_tokens": Int(16, 4096, "tokens"),
        "chunk_overlap": Int(0, 1024, "tokens"), "pdf_timeout_s": Float(1, 3600, "seconds"),
        "query_server": Bool(), "query_server_idle_s": Int(5, 86_400, "seconds"),
    },
    "notes": {"dir": _PATH, "editor": Text(kind="program")},
    "review": {"desired_retention": Float(0.7, 0.99), "new_per_day": Int(0, 10_000, "cards"),
               "reviews_per_day": Int(0, 100_000, "cards")},
    "viewer": {"command": Text(kind="program")},
    "brief": {"lang": Text(8, ("", "en", "zh"))},
    "today": {"plan": Text(200)},
    "resolve": {
        "arxiv_url": Text(kind="url"), "crossref_url": Text(kind="url"), "semanticscholar_url": Text(kind="url"),
        "openalex_url": Text(kind="url"), "openreview_url": Text(kind="url"), "openreview_v1_url": Text(kind="url"),
        "mailto": Text(256), "timeout_s": Float(0.1, 600, "seconds"),
        "online": Bool(), "min_interval_s": Float(0, 600, "seconds"), "arxiv_interval_s": Float(0, 600, "seconds"),
    },
}


def spec(section: str, key: str):
    """The check for `section.key`; a default without a schema entry is checked by its type."""
    found = SCHEMA.get(section, {}).get(key)
    if found is not None:
        return found
    default = DEFAULTS.get(section, {}).get(key)
    if isinstance(default, bool):
        return Bool()
    if isinstance(default, int):
        return Int(-INT64, INT64)
    if isinstance(default, float):
        return Float(-1e300, 1e300)
    return Text()


def known_keys() -> list[str]:
    return [f"{section}.{key}" for section, values in DEFAULTS.items() for key in values]


def nearest_key(dotted_key: str) -> str | None:
    close = difflib.get_close_matches(dotted_key, known_keys(), n=1, cutoff=0.6)
    return close[0] if close else None


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def read_toml(path: Path) -> dict[str, Any]:
    """config.toml as written, not merged or checked (what `kb config KEY VALUE` edits)."""
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"config file {path} is not valid TOML: {exc}", "fix it or delete it to get the defaults back") from exc


def validate(data: dict[str, Any], where: str = "config.toml") -> tuple[dict[str, Any], list[str]]:
    """Check every known setting of `data` (as read from TOML) and merge it over the defaults.

    Returns the checked settings and a warning for each unknown key (naming the nearest known
    one). A wrong value raises BadInput naming the key, the value and the allowed range."""
    warnings: list[str] = []
    merged = _merge(DEFAULTS, data)
    for section, values in data.items():
        if section not in DEFAULTS:
            close = difflib.get_close_matches(section, list(DEFAULTS), n=1, cutoff=0.6)
            warnings.append(_unknown(where, f"[{section}]", f"[{close[0]}]" if close else None))
            continue
        if not isinstance(values, dict):
            raise BadInput(f"{where}: [{section}] is not a table of settings ({section} = …)", f"write it as [{section}] with key = value lines")
        for key, raw in values.items():
            name = f"{section}.{key}"
            if key not in DEFAULTS[section]:
                warnings.append(_unknown(where, name, nearest_key(name)))
                continue
            check = spec(section, key)
            try:
                if isinstance(raw, str) and isinstance(check, (Int, Float, Bool)):
                    # the CLI hands over text; in TOML a quoted number is a wrong type
                    raise BadInput(f"{name} = {shown(raw)!r} is text, not {'true/false' if isinstance(check, Bool) else 'a number'}",
                                   f"{name} takes {check.describe()}, written without quotes")
                merged[section][key] = check.check(raw, name)
            except BadInput as exc:
                raise BadInput(f"{where}: {exc.message}", f"{exc.hint}; fix it with `kb config {name} VALUE`") from None
    _check_together(merged, where)
    return merged, warnings


def _unknown(where: str, name: str, nearest: str | None) -> str:
    return f"{where}: unknown setting {name}" + (f" (did you mean {nearest}?)" if nearest else " (ignored)")


def _check_together(config: dict[str, Any], where: str) -> None:
    index = config.get("index", {})
    if index.get("chunk_overlap", 0) >= index.get("chunk_tokens", 1):
        raise BadInput(f"{where}: index.chunk_overlap ({index['chunk_overlap']}) is not smaller than index.chunk_tokens "
                       f"({index['chunk_tokens']})", "chunks must overlap by less than their length")


def load(path: Path, warn: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The checked settings; `warn` gets one line per unknown key."""
    config, warnings = validate(read_toml(path), str(path.name))
    for message in warnings if warn else ():
        warn(message)
    return config


def save(path: Path, config: dict[str, Any]) -> None:
    import tomli_w

    atomic.write_text(path, tomli_w.dumps(config))


def set_value(path: Path, dotted_key: str, value: Any) -> dict[str, Any]:
    """Check one `section.key` against the schema and save it; the rest of the file is kept as written."""
    section, _, key = dotted_key.partition(".")
    if not key or section not in DEFAULTS or key not in DEFAULTS[section]:
        nearest = nearest_key(dotted_key)
        raise BadInput(f"unknown setting {dotted_key!r}", f"did you mean {nearest}?" if nearest else f"sections are: {', '.join(DEFAULTS)}")
    checked = spec(section, key).check(value, dotted_key)
    data = read_toml(path)
    if not isinstance(data.get(section, {}), dict):
        data[section] = {}
    data.setdefault(section, {})[key] = checked
    merged = _merge(DEFAULTS, data)
    merged[section][key] = checked
    _check_together(merged, "config.toml")
    save(path, data)
    return merged


def settings_from_elsewhere(config: dict[str, Any], home: Path) -> list[str]:
    """The dotted keys of `config` that point outside `home` or name a program, a server or a
    model: what a config.toml from another machine (a restored archive) may not set unasked."""
    out = []
    for section, values in config.items():
        for key, value in values.items() if isinstance(values, dict) else ():
            kind = getattr(spec(section, key), "kind", "text") if section in DEFAULTS and key in DEFAULTS[section] else "text"
            if not value or kind == "text" or (kind == "model" and value == DEFAULTS[section][key]):
                continue
            if kind == "path" and _inside(Path(str(value)).expanduser(), home):
                continue
            out.append(f"{section}.{key}")
    return out


def _inside(path: Path, home: Path) -> bool:
    try:
        return path.resolve().is_relative_to(home.resolve())
    except (OSError, RuntimeError):
        return False
