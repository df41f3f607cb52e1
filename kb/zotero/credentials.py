"""The Zotero API key: in the OS keyring when a usable one is installed (`keyring`), otherwise
in `<home>/credentials.toml` with mode 0600. Never in config.toml, output, messages or backups.
`KB_ZOTERO_API_KEY` in the environment wins (for CI and one-off runs).

The key is read at setup from a hidden prompt, standard input or KB_ZOTERO_API_KEY; `--api-key
KEY` still works but puts it in the process list, so it warns. A key with a line break, quotes
or spaces is refused at setup (a pasted key with a stray quote otherwise fails much later, as
"cannot connect").
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from kb import atomic
from kb.errors import BadInput

ENV_VAR = "KB_ZOTERO_API_KEY"
SERVICE = "paper-kb Zotero API key"
FORCE_FILE_VAR = "KB_KEYRING"  # "file" (or 0/no/off): always the 0600 file, never the OS keyring
MAX_KEY = 256


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
        raise BadInput(f"{file} is not valid TOML", "delete it and run `kb zotero setup` again") from None


def check_key(key: str) -> str:
    """The key without surrounding whitespace, or BadInput saying what is wrong (never the key)."""
    key = (key or "").strip()
    if not key:
        raise BadInput("the API key is empty", "create one at https://www.zotero.org/settings/keys")
    if "\n" in key or "\r" in key:
        raise BadInput("the API key has a line break in it", "paste the key alone, on one line")
    if any(q in key for q in "\"'`“”‘’"):
        raise BadInput("the API key has quotes in it", "Zotero keys are letters and digits: paste it without quotes")
    if len(key) > MAX_KEY or any(ch.isspace() or not ch.isprintable() or ord(ch) > 126 for ch in key):
        raise BadInput("the API key has spaces or characters a Zotero key never has",
                       "copy it again from https://www.zotero.org/settings/keys (letters and digits)")
    return key


# -- where the key lives ----------------------------------------------------------------------------
def _keyring():
    """The OS keyring backend when a usable one is installed, else None (the 0600 file)."""
    if os.environ.get(FORCE_FILE_VAR, "").strip().lower() in ("file", "0", "no", "off", "false"):
        return None
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
        usable = not isinstance(backend, fail.Keyring) and float(getattr(backend, "priority", 0)) > 0
    except Exception:  # noqa: BLE001 - a broken keyring install means: use the file
        return None
    return backend if usable else None


def _account(home: Path) -> str:
    return str(Path(home).resolve())  # one key per data home


def _backend_name(backend) -> str:
    return f"the OS keyring ({getattr(backend, 'name', type(backend).__name__)})"


def save_api_key(home: Path, key: str) -> str:
    """Store the checked key; returns where it went, in words."""
    import tomli_w

    key = check_key(key)
    data = _read(home)
    zotero = data.setdefault("zotero", {})
    backend = _keyring()
    if backend is not None:
        try:
            backend.set_password(SERVICE, _account(home), key)
        except Exception:  # noqa: BLE001 - a locked or failing keyring: fall back to the file
            backend = None
    if backend is not None:
        zotero.pop("api_key", None)
        zotero["api_key_in"] = "keyring"
        where = _backend_name(backend)
    else:
        zotero["api_key"] = key
        zotero.pop("api_key_in", None)
        where = f"{path(home)} (mode 0600)"
    atomic.write_text(path(home), tomli_w.dumps(data), mode=0o600)
    return where


def load_api_key(home: Path) -> str | None:
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return env
    zotero = _read(home).get("zotero") or {}
    if zotero.get("api_key"):
        return zotero["api_key"]
    if zotero.get("api_key_in") == "keyring":
        backend = _keyring()
        try:
            return (backend.get_password(SERVICE, _account(home)) or None) if backend is not None else None
        except Exception:  # noqa: BLE001
            return None
    return None


def has_api_key(home: Path) -> bool:
    return load_api_key(home) is not None


def storage(home: Path) -> str | None:
    """Where the key this home uses comes from, in words (None: no key on this machine)."""
    if os.environ.get(ENV_VAR, "").strip():
        return f"the environment ({ENV_VAR})"
    zotero = _read(home).get("zotero") or {}
    if zotero.get("api_key"):
        return f"{path(home)} (mode 0600)"
    if zotero.get("api_key_in") == "keyring" and load_api_key(home):
        return _backend_name(_keyring())
    return None


def require_api_key(home: Path) -> str:
    """The key for the web API, or a clear error: a restored library on a new machine has none."""
    key = load_api_key(home)
    if key is None:
        from kb.zotero.errors import ZoteroError

        raise ZoteroError("no Zotero key on this machine", "run `kb zotero setup` (backups leave the key out)")
    return key


def read_key(given: str | None, from_stdin: bool, stdin, interactive: bool, prompt) -> tuple[str | None, str]:
    """The key for `kb zotero setup` and where it came from: --api-key, standard input,
    KB_ZOTERO_API_KEY, or (at a terminal) a hidden prompt. (None, "") when there is none."""
    if from_stdin:
        return stdin.read(), "standard input"
    if given is not None:
        return given, "--api-key"
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return env, ENV_VAR
    if interactive:
        return prompt(), "the prompt"
    return None, ""
