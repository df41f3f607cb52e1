"""Opening a PDF (`kb open`, the TUI's `o`): one argv without a shell, placeholders filled
literally, and an unread paper becomes `reading`."""

from __future__ import annotations

import json
import shlex

from kb import config as config_mod, papers, paths, viewer

HOSTILE = "my papers; rm -rf ~ $(touch PWNED) `id` 'q' \"dq\""


def _paper_with_pdf(store, home, name: str = "lora.pdf"):
    paper, _ = papers.upsert(store, title="LoRA: Low-Rank Adaptation of Large Language Models", arxiv_id="2106.09685", year=2021)
    pdf = home / "files" / name
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    papers.add_attachment(store, paper.id, str(pdf))
    return paper, pdf


def test_a_hostile_path_stays_one_argument_and_page_is_filled(tmp_path):
    pdf = tmp_path / HOSTILE / f"{HOSTILE}.pdf"
    argv = viewer.viewer_argv({"viewer": {"command": "zathura -P {page} {path}"}}, pdf, 7)
    assert argv == ["zathura", "-P", "7", str(pdf)]
    assert viewer.viewer_argv({"viewer": {"command": "zathura --page={page} {path}"}}, pdf, None) == ["zathura", "--page=1", str(pdf)]


def test_other_braces_in_the_command_or_the_path_do_not_crash(tmp_path):
    pdf = tmp_path / "a {page} {0} {x}.pdf"
    argv = viewer.viewer_argv({"viewer": {"command": "viewer --title={x} --fmt={} -p {page} {path}"}}, pdf, 3)
    assert argv == ["viewer", "--title={x}", "--fmt={}", "-p", "3", str(pdf)]  # the path's own {page} is left alone


def test_a_command_without_path_gets_it_appended_and_no_command_uses_the_system_opener(tmp_path):
    pdf = tmp_path / "x.pdf"
    assert viewer.viewer_argv({"viewer": {"command": "evince"}}, pdf, 2) == ["evince", str(pdf)]
    assert viewer.viewer_argv({"viewer": {"command": ""}}, pdf, 2)[-1] == str(pdf)


def test_open_pdf_spawns_once_and_moves_unread_to_reading(store, home):
    paper, pdf = _paper_with_pdf(store, home)
    calls = []
    argv = viewer.open_pdf(store, {"viewer": {"command": "zathura -P {page} {path}"}}, paper.id, 4, spawn=calls.append)
    assert calls == [argv] == [["zathura", "-P", "4", str(pdf)]]
    assert papers.get(store, paper.id).status == "reading"
    papers.set_status(store, paper.id, "read")
    viewer.open_pdf(store, {"viewer": {"command": "zathura {path}"}}, paper.id, spawn=calls.append)
    assert papers.get(store, paper.id).status == "read"  # only unread moves


def test_kb_open_print_shows_the_argv_without_running_it(cli, store, home):
    paper, pdf = _paper_with_pdf(store, home, f"{HOSTILE}.pdf")
    config_mod.set_value(paths.config_path(home), "viewer.command", "zathura --title={x} -P {page} {path}")
    code, out, err = cli("open", paper.citekey, "--page", "12", "--print")
    assert code == 0, err
    assert shlex.split(out.strip()) == ["zathura", "--title={x}", "-P", "12", str(pdf)]
    code, out, err = cli("open", str(paper.id), "--print", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["argv"] == ["zathura", "--title={x}", "-P", "1", str(pdf)] and data["opened"] is False
    assert papers.get(store, paper.id).status == "unread"  # printing is not reading


def test_kb_open_without_a_pdf_is_one_line_with_a_hint(cli, store):
    paper, _ = papers.upsert(store, title="A paper without a file", year=2020)
    code, out, err = cli("open", str(paper.id), "--print")
    assert code == 3 and err.startswith("error: no PDF attached") and "hint:" in err and "Traceback" not in err
