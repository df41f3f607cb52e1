"""Where paper-kb keeps its data: KB_HOME or --home, else the platform's user data dir."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "paper-kb"


def data_home(override: str | os.PathLike | None = None) -> Path:
    if override:
        return Path(override).expanduser().resolve()
    env = os.environ.get("KB_HOME")
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_home() -> Path:
    """What every data home of this user may share and can always be made again (the embedding
    model's ONNX export): KB_CACHE, else the platform's user cache dir."""
    env = os.environ.get("KB_CACHE")
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def db_path(home: Path) -> Path:
    return home / "kb.sqlite"


def config_path(home: Path) -> Path:
    return home / "config.toml"


def notes_dir_default(home: Path) -> Path:
    return home / "notes"


def files_dir(home: Path) -> Path:
    """PDFs copied or downloaded into the library (Zotero downloads, demo papers)."""
    return home / "files"


def index_dir(home: Path) -> Path:
    """Rebuildable indexes (Chroma); never part of a backup."""
    return home / "index"


def runs_dir(home: Path) -> Path:
    return home / "runs"
