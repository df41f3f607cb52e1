"""Restore at scale: the time to back up and restore a library of N notes (default 3,000, the
size the issue's half-done restore had; KB_BENCH_RESTORE_NOTES), and K real SIGKILLs of
`kb restore --force` at random moments of a run (default 12; KB_BENCH_RESTORE_KILLS), each
followed by `kb papers`: how many left the old library, the new one, or a mix (floor: 0 mixes).

    python -m bench restore
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(report) -> None:
    sys.path.insert(0, str(REPO))
    from kb import backup
    from tests.reliability.test_restore import library, make_library

    notes = int(os.environ.get("KB_BENCH_RESTORE_NOTES", "3000"))
    kills = int(os.environ.get("KB_BENCH_RESTORE_KILLS", "12"))
    with tempfile.TemporaryDirectory(prefix="kb-bench-restore-") as tmp:
        root = Path(tmp)
        make_library(root / "new", "new", notes)
        make_library(root / "old", "old", notes)
        archive = root / "new.tar.gz"
        report.time(f"kb backup ({notes:,} notes)", lambda: backup.create(root / "new", archive), repeats=3, warmup=0)
        old, new = library(root / "old"), library(root / "new")

        def fresh() -> tuple[Path, dict]:
            home = Path(tempfile.mkdtemp(dir=root)) / "home"
            shutil.copytree(root / "old", home)
            return home, dict(os.environ, KB_HOME=str(home), PYTHONPATH=str(REPO))

        def restore_cli(home_env) -> subprocess.Popen:
            return subprocess.Popen([sys.executable, "-m", "kb", "restore", "--force", str(archive)], env=home_env[1], cwd=str(REPO),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        whole = []
        for _ in range(3):
            target = fresh()
            t0 = time.perf_counter()
            restore_cli(target).wait()
            whole.append(time.perf_counter() - t0)
            assert library(target[0]) == new
        report.add(f"kb restore --force ({notes:,} notes, a process)", whole)
        outcomes = {"old": 0, "new": 0, "mix": 0}
        rng = random.Random(15)
        for _ in range(kills):
            target = fresh()
            proc = restore_cli(target)
            time.sleep(rng.uniform(0.2, 1.1) * min(whole))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            subprocess.run([sys.executable, "-m", "kb", "papers", "--json"], env=target[1], cwd=str(REPO), capture_output=True)
            seen = library(target[0])
            outcomes["old" if seen == old else "new" if seen == new else "mix"] += 1
        report.value("SIGKILLed restores then `kb papers`: old library", outcomes["old"], f"of {kills}")
        report.value("SIGKILLed restores then `kb papers`: new library", outcomes["new"], f"of {kills}")
        report.value("SIGKILLed restores then `kb papers`: a mix", outcomes["mix"], "floor: 0")
