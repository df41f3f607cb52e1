"""paper-kb: a terminal knowledge base for machine-learning papers (the domain core; no UI here)."""

__version__ = "0.1.0"
