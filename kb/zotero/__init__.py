"""Zotero: four sources (web API, local API, zotero.sqlite, BibTeX/CSL-JSON) behind one item
model (`model.py`), an incremental sync into the store (`sync.py`), plan matching (`match.py`)
and write-back (`writeback.py`)."""
