"""One lock for the first import of the heavy libraries (chromadb, onnxruntime, torch).

Two threads importing them for the first time at once (the TUI's search workers: one opening
Chroma, one loading the query encoder) can meet numpy half-initialised: `cannot import name
'NDArray' from partially initialized module 'numpy._typing'`. Whoever imports first holds
this lock; the other waits and finds the modules ready.
"""

from __future__ import annotations

import threading

HEAVY_IMPORTS = threading.RLock()
