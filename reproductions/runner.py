"""Start a reproduction in a subprocess, stream its JSON-line events, record the outcome.

    handle = start(home, "lora", preset="quick")
    for event in handle.events():     # blocking; fine in a worker thread
        ...                           # {"event": "progress", "step", "total", "metrics", "eta_s", ...}
    record = handle.wait()            # the result record (also the last event, "event": "result")
    handle.cancel()                   # from any thread: terminates the worker's process group

The worker runs in its own session (process group), so cancelling also ends anything it started.
Whatever happens (a claim that fails, a crash, a kill, a cancel), the run is recorded with its log.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from reproductions import records, registry
from reproductions.device import check_choice

REPO_ROOT = Path(__file__).resolve().parent.parent


class RunHandle:
    def __init__(self, home: Path, spec, preset: str, device: str, seed: int, config: dict):
        from kb.store import Store

        self.home = Path(home)
        self.spec = spec
        self.preset = preset
        self.device = device
        self.seed = seed
        self.config = config
        with Store.open(self.home) as store:
            self.run_id = records.create(store, spec, preset, config, seed, device)
        self.events_path, self.log_path = records.run_files(self.home, self.run_id)
        self.events_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w", encoding="utf-8")
        env = dict(os.environ)
        env.setdefault("HF_HUB_OFFLINE", "1")
        env.setdefault("TRANSFORMERS_OFFLINE", "1")
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        cmd = [sys.executable, "-m", "reproductions.worker", spec.name, "--config", json.dumps(config),
               "--device", device, "--seed", str(seed)]
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL, text=True,
                                     encoding="utf-8", bufsize=1, env=env, cwd=str(self.home), start_new_session=True)
        self.pid = self.proc.pid
        with Store.open(self.home) as store:
            records.set_pid(store, self.run_id, self.pid)
        self._lock = threading.Lock()
        self._cancelled = False
        self._consumed = False
        self._record: dict | None = None
        self._done = threading.Event()
        self.last_progress: dict | None = None

    # -- streaming -------------------------------------------------------------------------
    def events(self) -> Iterator[dict]:
        """Every event as it arrives; the last one is the result record ("event": "result")."""
        with self._lock:
            if self._consumed:
                raise RuntimeError("events() can be iterated once; use wait() for the record")
            self._consumed = True
        result = error = start = None
        try:
            with open(self.events_path, "a", encoding="utf-8") as events_file:
                assert self.proc.stdout is not None
                for line in self.proc.stdout:
                    line = line.strip()
                    if not line:
                        continue
                    events_file.write(line + "\n")
                    events_file.flush()
                    try:
                        event = json.loads(line)
                    except ValueError:
                        event = {"event": "log", "message": line}
                    kind = event.get("event")
                    if kind == "result":
                        result = event
                        continue  # the recorded version is yielded last
                    if kind == "error":
                        error = event
                    elif kind == "start":
                        start = event
                    elif kind == "progress":
                        self.last_progress = event
                    yield dict(event, run_id=self.run_id)
        except BaseException:  # Ctrl-C in the reader, or the consumer closed the generator: stop the run
            self._cancelled = True
            _kill_group(self.proc, 5.0)
            raise
        finally:
            self._finish(result, error, start)
        yield dict(self._record or {}, event="result")

    def wait(self, timeout: float | None = None) -> dict:
        """Block until the run ends; returns the result record."""
        consume = False
        with self._lock:
            if not self._consumed:
                consume = True
        if consume:
            for _ in self.events():
                pass
        if not self._done.wait(timeout):
            raise TimeoutError(f"run {self.run_id} is still going")
        return dict(self._record or {})

    def cancel(self, grace_s: float = 5.0) -> None:
        """Terminate the worker and everything it started; the run is recorded as cancelled."""
        self._cancelled = True
        _kill_group(self.proc, grace_s)

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    # -- the record ------------------------------------------------------------------------
    def _finish(self, result: dict | None, error: dict | None, start: dict | None) -> None:
        from kb.store import Store

        if self._done.is_set():
            return
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _kill_group(self.proc, 2.0)
            rc = self.proc.wait()
        _kill_group(self.proc, 0.5, only_leftovers=True)
        self._log.close()
        seconds = round(time.perf_counter() - self.t0, 2)
        used_device = (start or {}).get("device") or (error or {}).get("device") or self.device
        kw: dict[str, Any] = {"seconds": seconds, "device": used_device, "versions": (start or {}).get("versions")}
        if result is not None and rc == 0:
            details = {k: result.get(k) for k in ("claims", "curves", "notes", "tables") if result.get(k) is not None}
            details["device_name"] = (start or {}).get("device_name")
            passed = bool(result.get("passed"))
            kw.update(status="passed" if passed else "failed", passed=passed, metrics=result.get("metrics") or {},
                      details=details, data_hash=result.get("data_hash"))
        elif self._cancelled:
            kw.update(status="cancelled", error="cancelled by the user" + self._where())
        elif error is not None:
            msg = error.get("message") or "the reproduction failed"
            kw.update(status="error", error=msg + (f" ({error['hint']})" if error.get("hint") else ""))
        else:
            how = f"killed by signal {-rc}" if rc < 0 else f"exit code {rc}"
            kw.update(status="failed", error=f"the reproduction process died ({how}){self._where()}; see the log {self.log_path}")
        with Store.open(self.home) as store:
            records.finish(store, self.run_id, **kw)
            self._record = records.get_run(store, self.run_id)
        self._record.update({"reproduction": self.spec.name, "paper_title": self.spec.paper_title, "title": self.spec.title})
        if error is not None:
            self._record["hint"] = error.get("hint")
            self._record["message"] = error.get("message")
        self._done.set()

    def _where(self) -> str:
        p = self.last_progress
        return f" at step {p['step']}/{p['total']}" if p and p.get("total") else ""


def _kill_group(proc: subprocess.Popen, grace_s: float, only_leftovers: bool = False) -> None:
    try:
        pgid = os.getpgid(proc.pid)
    except (ProcessLookupError, PermissionError):
        pgid = proc.pid  # the leader is gone (reaped); its group may live on
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 0)):
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            return
        if only_leftovers and sig == signal.SIGTERM:
            time.sleep(min(wait, 0.2))
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if proc.poll() is not None and not _group_alive(pgid):
                return
            time.sleep(0.05)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def start(home, name: str, preset: str = "quick", device: str = "auto", seed: int = 0, params: dict | None = None) -> RunHandle:
    """Validate (unknown name/preset/parameter, out of range: KbError before anything starts) and launch."""
    spec = registry.get(name)
    config = spec.config(preset, params)
    device = check_choice(device)
    if not isinstance(seed, int) or seed < 0:
        from kb.errors import BadInput

        raise BadInput(f"seed must be a non-negative integer, got {seed!r}")
    return RunHandle(Path(home), spec, preset, device, seed, config)
