import json
import os
import signal

import pytest

from kb.errors import BadInput, NotFound
from kb.store import Store
from reproductions import records, runner


def _gone(pid: int) -> bool:
    try:
        os.killpg(pid, 0)  # the worker led its own process group
        return False
    except ProcessLookupError:
        return True


def test_cli_run_json_end_to_end_is_recorded(run_kb, home):
    proc = run_kb("repro", "run", "kd", "--preset", "tiny", "--seed", "1", "--json", timeout=240)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines[0]["event"] == "start" and lines[0]["versions"]["torch"]
    progress = [e for e in lines if e["event"] == "progress"]
    assert progress and progress[-1]["step"] == progress[-1]["total"] and "eta_s" in progress[-1]
    result = lines[-1]
    assert result["event"] == "result"
    for key in ("reproduction", "paper", "claim", "passed", "metrics", "device", "seconds", "run_id"):
        assert key in result
    assert result["reproduction"] == "kd" and result["paper"] == "1503.02531" and result["device"] == "cpu"
    assert result["metrics"]["removed_hard_acc"] == 0.0 and result["seed"] == 1
    assert result["status"] in ("passed", "failed") and isinstance(result["passed"], bool)
    with Store.open(home) as store:
        rec = records.get_run(store, result["run_id"])
        assert rec["metrics"] == result["metrics"] and rec["params"]["seeds"] == 1 and rec["data_hash"]
        assert [r["run_id"] for r in records.list_runs(store, reproduction="kd")] == [result["run_id"]]
    assert os.path.exists(rec["log_path"]) and len(records.read_events(rec)) == len(lines)
    listed = run_kb("repro", "runs", "kd", "--json")
    assert [r["run_id"] for r in json.loads(listed.stdout)] == [result["run_id"]]
    shown = run_kb("repro", "show", str(result["run_id"]))
    assert "measured here" in shown.stdout and "1503.02531" in shown.stdout


def test_cancel_half_way_is_recorded_and_leaves_nothing_running(home):
    Store.open(home).close()
    handle = runner.start(home, "flashattention", preset="tiny")
    events = handle.events()
    for event in events:
        if event["event"] == "progress":
            break
    handle.cancel()
    record = list(events)[-1]
    assert record["status"] == "cancelled" and record["passed"] is None and "step" in record["error"]
    assert _gone(handle.pid)
    assert os.path.exists(record["log_path"])


def test_closing_the_event_stream_early_cancels_the_run(home):
    Store.open(home).close()
    handle = runner.start(home, "kd", preset="tiny")
    for event in handle.events():
        if event["event"] == "start":
            break  # the consumer went away (a closed TUI screen): the run must not go on alone
    record = handle.wait(timeout=60)
    assert record["status"] == "cancelled" and _gone(handle.pid)


def test_a_crashing_worker_is_recorded_failed_with_its_log(home):
    Store.open(home).close()
    handle = runner.start(home, "kd", preset="tiny")
    events = handle.events()
    for event in events:
        if event["event"] == "progress":
            os.kill(handle.pid, signal.SIGKILL)
            break
    record = list(events)[-1]
    assert handle.wait(timeout=60)["status"] == record["status"]
    assert record["status"] == "failed" and record["passed"] is None
    assert "signal 9" in record["error"] and record["log_path"] in record["error"]
    assert _gone(handle.pid)


def test_cuda_without_gpu_is_a_clear_error_and_recorded(cli, home):
    import torch

    if torch.cuda.is_available():  # on a GPU machine the same request must run on it
        handle = runner.start(home, "flashattention", preset="tiny", device="cuda")
        assert handle.wait()["device"] == "cuda"
        return
    code, out, err = cli("repro", "run", "kd", "--preset", "tiny", "--device", "cuda")
    assert code != 0 and "no CUDA GPU" in err and "hint:" in err
    with Store.open(home) as store:
        (rec,) = records.list_runs(store)
    assert rec["status"] == "error" and rec["device"] == "cuda" and "no CUDA GPU" in rec["error"]


def test_bad_input_is_refused_before_anything_starts(cli, home):
    with pytest.raises(NotFound):
        runner.start(home, "gpt5")
    with pytest.raises(BadInput):
        runner.start(home, "kd", preset="huge")
    with pytest.raises(BadInput):
        runner.start(home, "kd", params={"temperature": 1000.0})
    with pytest.raises(BadInput):
        runner.start(home, "kd", device="tpu")
    code, out, err = cli("repro", "run", "lora", "--set", "rank=-1")
    assert code == 2 and "out of range" in err
    code, out, err = cli("repro", "list", "--json")
    assert code == 0 and {r["name"] for r in json.loads(out)} == {"lora", "kd", "llm-int8", "flashattention"}


def test_stale_running_record_is_reaped(store):
    from reproductions import registry

    rid = records.create(store, registry.get("lora"), "quick", {}, 0, "auto")
    records.set_pid(store, rid, 999999)
    rec = records.get_run(store, rid)
    assert rec["status"] == "failed" and "interrupted" in rec["error"]
