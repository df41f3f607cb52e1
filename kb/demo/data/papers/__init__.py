"""One TOML file per demo paper, named by arXiv id: metadata, abstract, sections, figure, table."""
