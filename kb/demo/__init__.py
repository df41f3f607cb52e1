"""The demo library: a dozen generated papers, a bilingual plan and a few notes, built offline
from the package's own data so that every feature has something real to work on."""

from kb.demo.builder import DemoResult, build

__all__ = ["DemoResult", "build"]
