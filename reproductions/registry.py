"""The reproductions on offer: name -> module, paper, claim, presets and typed parameters.

Importing this never imports torch: each reproduction module declares its `SPEC` at the top and
imports torch only inside its `run` function (the TUI lists reproductions at start-up).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from kb.errors import BadInput, NotFound
from kb.values import Text

PRESETS = ("tiny", "quick", "full")


@dataclass(frozen=True)
class Param:
    name: str
    type: type  # int, float, bool or str
    default: Any
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None

    def parse(self, text: str) -> Any:
        """Parse a `--set` value by the declared type (never evaluated)."""
        raw = text.strip()
        try:
            if self.type is bool:
                low = raw.lower()
                if low in ("1", "true", "yes", "on"):
                    value: Any = True
                elif low in ("0", "false", "no", "off"):
                    value = False
                else:
                    raise ValueError(raw)
            elif self.type is int:
                value = int(raw)
            elif self.type is float:
                value = float(raw)
                if value != value or value in (float("inf"), float("-inf")):
                    raise ValueError(raw)
            else:
                value = raw
        except ValueError:
            raise BadInput(f"{self.name}={text!r} is not a valid {self.type.__name__}", self.describe()) from None
        return self.check(value)

    def check(self, value: Any) -> Any:
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.type) or (self.type is int and isinstance(value, bool)):
            raise BadInput(f"{self.name} must be a {self.type.__name__}, got {value!r}", self.describe())
        if self.min is not None and value < self.min or self.max is not None and value > self.max:
            raise BadInput(f"{self.name}={value} is out of range", self.describe())
        if self.choices and value not in self.choices:
            raise BadInput(f"{self.name}={value!r} is not one of {', '.join(self.choices)}", self.describe())
        if self.type is str:
            # A model name or path: one line, as every text setting (a line break would reach the
            # run's error message and split the one line the user is told).
            Text().check(value, self.name)
        return value

    def describe(self) -> str:
        rng = ""
        if self.choices:
            rng = f" one of {', '.join(self.choices)}"
        elif self.min is not None or self.max is not None:
            rng = f" in [{'' if self.min is None else self.min}, {'' if self.max is None else self.max}]"
        return f"{self.name}: {self.type.__name__}{rng}, default {self.default}" + (f" ({self.help})" if self.help else "")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type.__name__, "default": self.default, "help": self.help,
                "min": self.min, "max": self.max, "choices": list(self.choices) if self.choices else None}


@dataclass(frozen=True)
class Preset:
    name: str
    seconds: float  # expected wall time on the target device (tiny/quick: a 2-core CPU; full: a GPU)
    values: dict[str, Any] = field(default_factory=dict)
    gpu: bool = False  # meant for a GPU (still runs on a CPU, slowly)


@dataclass(frozen=True)
class ReproSpec:
    name: str
    title: str
    paper: str  # arXiv id
    paper_title: str
    claim: str
    module: str
    params: tuple[Param, ...]
    presets: tuple[Preset, ...]
    keywords: tuple[str, ...] = ()  # plan-item words that link to it (any language, lower case)
    # Checks across parameters (min_len against max_len) or against the model, raising BadInput:
    # run by config(), so a combination the run would refuse is refused before a run is recorded.
    check: Callable[[dict[str, Any]], None] | None = None

    def preset(self, name: str) -> Preset:
        for p in self.presets:
            if p.name == name:
                return p
        raise BadInput(f"unknown preset {name!r} for {self.name}", f"choose one of {', '.join(p.name for p in self.presets)}")

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise BadInput(f"{self.name} has no parameter {name!r}", "parameters: " + ", ".join(p.name for p in self.params))

    def config(self, preset: str = "quick", params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults, then the preset's values, then the user's (checked against type and range)."""
        values = {p.name: p.default for p in self.params}
        values.update(self.preset(preset).values)
        for key, value in (params or {}).items():
            param = self.param(key)
            values[key] = param.parse(value) if isinstance(value, str) and param.type is not str else param.check(value)
        if self.check is not None:
            self.check(values)
        return values

    def parse_sets(self, items: list[str] | tuple[str, ...]) -> dict[str, Any]:
        """`key=value` strings -> typed values."""
        out: dict[str, Any] = {}
        for item in items:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise BadInput(f"--set {item!r} is not key=value", "for example --set rank=4")
            out[key.strip()] = self.param(key.strip()).parse(value)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "paper": self.paper, "paper_title": self.paper_title,
                "claim": self.claim, "module": self.module, "params": [p.to_dict() for p in self.params],
                "presets": [{"name": p.name, "seconds": p.seconds, "values": p.values, "gpu": p.gpu} for p in self.presets]}


_MODULES = {
    "lora": "reproductions.lora",
    "kd": "reproductions.distillation",
    "llm-int8": "reproductions.llm_int8",
    "flashattention": "reproductions.flash_attention",
}


def all_reproductions() -> list[ReproSpec]:
    return [importlib.import_module(m).SPEC for m in _MODULES.values()]


def names() -> list[str]:
    return list(_MODULES)


def get(name: str) -> ReproSpec:
    key = (name or "").strip().lower()
    aliases = {"distillation": "kd", "llm_int8": "llm-int8", "int8": "llm-int8", "flash-attention": "flashattention",
               "flash_attention": "flashattention"}
    key = aliases.get(key, key)
    if key not in _MODULES:
        raise NotFound(f"no reproduction named {name!r}", f"choose one of {', '.join(_MODULES)} (kb repro list)")
    return importlib.import_module(_MODULES[key]).SPEC


def module(name: str):
    return importlib.import_module(_MODULES[get(name).name])


def for_arxiv(arxiv_id: str | None) -> list[ReproSpec]:
    if not arxiv_id:
        return []
    bare = re.sub(r"v\d+$", "", arxiv_id.strip())
    return [s for s in all_reproductions() if s.paper == bare]


def for_paper(store, paper_id: int) -> list[ReproSpec]:
    """The reproductions of a stored paper, by its arXiv id."""
    row = store.one("SELECT arxiv_id FROM papers WHERE id = ?", (paper_id,))
    return for_arxiv(row["arxiv_id"]) if row else []


def for_plan_item(text: str) -> list[ReproSpec]:
    """Reproductions a plan line (e.g. 复现简单的LoRA微调实验) asks for, by keyword or arXiv id."""
    low = (text or "").lower()
    found = []
    for spec in all_reproductions():
        if spec.paper in low or any(_mentions(low, k) for k in spec.keywords):
            found.append(spec)
    return found


def _mentions(text: str, word: str) -> bool:
    if re.fullmatch(r"[a-z0-9.\- ]+", word):  # latin words: whole words only ("lora" not in "explorations")
        return re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", text) is not None
    return word in text
