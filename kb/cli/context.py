"""What every command gets: the data home, the store (opened on first use) and the config."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from kb import config as config_mod
from kb import paths


@dataclass
class Ctx:
    home: Path
    debug: bool = False
    _store: Any = field(default=None, repr=False)
    _config: dict | None = field(default=None, repr=False)

    @property
    def store(self):
        if self._store is None:
            from kb.store import Store

            self._store = Store.open(self.home)
        return self._store

    @property
    def config(self) -> dict:
        if self._config is None:
            from kb.cli.output import warn

            self._config = config_mod.load(paths.config_path(self.home), warn=warn)
        return self._config

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


pass_ctx = click.make_pass_decorator(Ctx)
