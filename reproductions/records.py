"""Run records: the `runs` table (migration 0006) plus two files per run in kb.paths.runs_dir:
`<id>.jsonl` (every event the worker streamed) and `<id>.log` (its stderr).

Status: running -> passed | failed | error | cancelled.
  passed/failed: the run finished and the paper's claim held / did not hold (`passed` 1/0);
  failed with `passed` NULL: the process crashed or was killed by something else;
  error: the reproduction refused or raised (bad device, an exception), with the message;
  cancelled: stopped by the user (Ctrl-C, the TUI, runner.cancel()).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from kb import paths
from kb.errors import BadInput, NotFound
from kb.papers import find_match, now_iso
from kb.values import row_id, shown

_JSON_FIELDS = ("params", "metrics", "details", "versions")


# A run's one verdict, shown the same everywhere (CLI, TUI, brief). Only a finished run whose
# claim was checked is "held" or "not_held"; a cancelled run is never a failed reproduction.
VERDICTS = ("held", "not_held", "cancelled", "error", "crashed", "running")
VERDICT_LABELS = {
    "en": {"held": "claim held", "not_held": "claim did not hold", "cancelled": "cancelled",
           "error": "error", "crashed": "stopped before a verdict", "running": "running"},
    "zh": {"held": "结论成立", "not_held": "结论不成立", "cancelled": "已取消",
           "error": "出错", "crashed": "未得出结论即中止", "running": "运行中"},
}


def verdict(run: dict) -> str:
    """One of VERDICTS for a run record (a dict or sqlite Row with `status` and `passed`)."""
    status = run["status"]
    try:
        passed = run["passed"]
    except (KeyError, IndexError):  # a partial record (a finished event): no claim was checked
        passed = None
    if status in ("passed", "failed") and passed is not None:
        return "held" if passed else "not_held"
    if status in ("cancelled", "error", "running"):
        return status
    return "crashed"


def verdict_label(run: dict, lang: str = "en") -> str:
    return VERDICT_LABELS["zh" if lang.startswith("zh") else "en"][verdict(run)]


def run_files(home: Path, run_id: int) -> tuple[Path, Path]:
    """(events .jsonl, stderr .log) of a run."""
    d = paths.runs_dir(home)
    return d / f"{run_id}.jsonl", d / f"{run_id}.log"


def create(store, spec, preset: str, params: dict, seed: int, device: str) -> int:
    paper = find_match(store, arxiv_id=spec.paper)
    with store.tx():
        cur = store.execute(
            "INSERT INTO runs (reproduction, paper_arxiv, paper_id, preset, params, seed, device, status, claim, started_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)",
            (spec.name, spec.paper, paper.id if paper else None, preset, json.dumps(params), seed, device, spec.claim, now_iso()),
        )
        run_id = cur.lastrowid
        _, log = run_files(store.home, run_id)
        store.execute("UPDATE runs SET log_path = ? WHERE id = ?", (str(log), run_id))
    return run_id


def set_pid(store, run_id: int, pid: int) -> None:
    with store.tx():
        store.execute("UPDATE runs SET pid = ? WHERE id = ?", (pid, run_id))


def finish(store, run_id: int, *, status: str, passed: bool | None = None, metrics: dict | None = None,
           details: dict | None = None, error: str | None = None, seconds: float | None = None,
           device: str | None = None, versions: dict | None = None, data_hash: str | None = None) -> None:
    """Close a run once (a record already finished is left as it is)."""
    sets = {"status": status, "passed": None if passed is None else int(bool(passed)), "error": error,
            "finished_at": now_iso(), "seconds": seconds, "pid": None}
    if metrics is not None:
        sets["metrics"] = json.dumps(metrics)
    if details is not None:
        sets["details"] = json.dumps(details)
    if device:
        sets["device"] = device
    if versions is not None:
        sets["versions"] = json.dumps(versions)
    if data_hash:
        sets["data_hash"] = data_hash
    cols = ", ".join(f"{k} = ?" for k in sets)
    with store.tx():
        store.execute(f"UPDATE runs SET {cols} WHERE id = ? AND status = 'running'", (*sets.values(), run_id))


def _row_to_dict(row) -> dict[str, Any]:
    rec = dict(row)
    for key in _JSON_FIELDS:
        rec[key] = json.loads(rec[key] or "{}")
    rec["run_id"] = rec["id"]
    rec["paper"] = rec.pop("paper_arxiv")
    rec["passed"] = None if rec["passed"] is None else bool(rec["passed"])
    rec["events_path"] = str(Path(rec["log_path"]).with_suffix(".jsonl")) if rec.get("log_path") else None
    return rec


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        import psutil

        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE and "reproductions.worker" in " ".join(proc.cmdline())
    except Exception:
        return False


def reap_stale(store) -> int:
    """Mark runs left 'running' by a process that is gone (a killed terminal) as failed."""
    n = 0
    for row in store.all("SELECT id, pid FROM runs WHERE status = 'running'"):
        if not _alive(row["pid"]):
            finish(store, row["id"], status="failed", error="interrupted: the process running it is gone")
            n += 1
    return n


def get_run(store, run_id: int | str) -> dict[str, Any]:
    text = str(run_id).strip().lstrip("#")
    rid = row_id(text)
    if rid is None:
        if text.isdecimal():  # a number, but past SQLite's integers: no run can have it
            raise NotFound(f"no run {shown(text)}", "see `kb repro runs` for the recorded runs")
        raise BadInput(f"{run_id!r} is not a run id", "run ids are numbers: see `kb repro runs`")
    reap_stale(store)
    row = store.one("SELECT * FROM runs WHERE id = ?", (rid,))
    if row is None:
        raise NotFound(f"no run {rid}", "see `kb repro runs` for the recorded runs")
    return _row_to_dict(row)


def list_runs(store, paper_id: int | None = None, reproduction: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Runs, newest first; of one paper (by its id, or by its arXiv id when the run predates it)."""
    reap_stale(store)
    where, args = [], []
    if paper_id is not None:
        arxiv = store.scalar("SELECT arxiv_id FROM papers WHERE id = ?", (paper_id,))
        where.append("(paper_id = ? OR (paper_arxiv IS NOT NULL AND paper_arxiv = ?))")
        args += [paper_id, arxiv]
    if reproduction:
        where.append("reproduction = ?")
        args.append(reproduction)
    # The paper's title as the library has it (by id, or by arXiv id for a run older than the
    # paper): lists name a paper by its title, the arXiv id alone says little.
    title = ("(SELECT p.title FROM papers p WHERE p.id = runs.paper_id"
             " OR (runs.paper_id IS NULL AND p.arxiv_id = runs.paper_arxiv) ORDER BY p.id LIMIT 1) AS paper_title")
    sql = f"SELECT runs.*, {title} FROM runs" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [_row_to_dict(r) for r in store.all(sql, args)]


def read_events(record: dict) -> list[dict]:
    """The JSON events a run streamed (empty when the file is gone)."""
    path = record.get("events_path")
    if not path or not os.path.exists(path):
        return []
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out
