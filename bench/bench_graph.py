"""The citation graph at scale: a library of PAPERS papers with full text, REFS references
each, and one PDF added. kb links the references the new paper makes linkable; beside it, the
naive variant that matches every reference of the library again (what `kb add` did), and one
paper's references matched against the whole library (what each indexed paper costs).
Sizes: KB_BENCH_GRAPH_PAPERS (1000), KB_BENCH_GRAPH_REFS (50)."""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

WORDS = ("attention transformer language model large low rank adaptation quantization efficient training neural network "
         "learning deep representation sparse mixture experts scaling laws retrieval augmented generation").split()


def run(report) -> None:
    from kb import fulltext, titles
    from kb.store import Store

    n_papers = int(os.environ.get("KB_BENCH_GRAPH_PAPERS", 1000))
    n_refs = int(os.environ.get("KB_BENCH_GRAPH_REFS", 50))
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp))
        with store.tx():
            for i in range(n_papers):
                title = " ".join(rng.choices(WORDS, k=rng.randint(5, 10))) + f" {i}"
                pid = store.execute("INSERT INTO papers (citekey, title, title_norm) VALUES (?, ?, ?)",
                                    (f"p{i}", title, titles.normalize(title))).lastrowid
                store.execute("INSERT INTO documents (paper_id, status) VALUES (?, 'ok')", (pid,))
                for r in range(n_refs):
                    cited = " ".join(rng.choices(WORDS, k=7))
                    store.execute("INSERT INTO refs (paper_id, position, raw, title) VALUES (?, ?, ?, ?)",
                                  (pid, r, f"A. Author. {cited}. In NeurIPS, 2020.", cited))
            new = store.execute("INSERT INTO papers (citekey, title, title_norm) VALUES ('new', ?, ?)",
                                ("Scaling sparse experts", "scaling sparse experts")).lastrowid
        label = f"{n_papers} papers x {n_refs} references"
        fast = _once(report, f"link a new paper's citations, {label}", lambda: fulltext.link_new_papers(store, [new]))
        slow = _once(report, f"match every reference again (the naive variant), {label}",
                     lambda: fulltext.recompute_citation_edges(store))
        library = fulltext._Library.load(store)
        refs = [dict(r) for r in store.all("SELECT id, paper_id, raw, title, arxiv_id, doi FROM refs WHERE paper_id = 1")]
        report.time(f"one paper's {n_refs} references against {n_papers} titles", lambda: library.match_all(refs), repeats=5)
        report.ratio("match everything again / link the new paper", slow / fast, "> 1")
        store.close()


def _once(report, name: str, fn) -> float:
    t0 = time.perf_counter()
    fn()
    seconds = time.perf_counter() - t0
    report.add(name, [seconds])
    return seconds
