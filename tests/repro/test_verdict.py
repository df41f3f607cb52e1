"""A run has exactly one verdict, the same in the CLI, the TUI and the brief."""

from reproductions.records import verdict, verdict_label


def test_cancelled_run_is_never_a_failed_reproduction():
    assert verdict({"status": "cancelled", "passed": None}) == "cancelled"
    assert verdict_label({"status": "cancelled", "passed": None}, "zh") == "已取消"
    assert "不成立" not in verdict_label({"status": "cancelled", "passed": None}, "zh")


def test_each_status_maps_to_one_verdict():
    assert verdict({"status": "passed", "passed": 1}) == "held"
    assert verdict({"status": "failed", "passed": 0}) == "not_held"
    assert verdict({"status": "failed", "passed": None}) == "crashed"
    assert verdict({"status": "error", "passed": None}) == "error"
    assert verdict({"status": "running", "passed": None}) == "running"
