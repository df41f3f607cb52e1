"""Setup, credentials, `kb sync --json`, plan matching, `kb plan unmatched`, from-collection, push."""

from __future__ import annotations

import json
import stat

from fake_zotero import paper_data

from kb.zotero.match import match_plan_items, unmatched


def _setup_web(cli, fake):
    code, out, err = cli("zotero", "setup", "--api-key", fake.api_key, "--library-id", fake.library_id, "--endpoint", fake.url)
    assert code == 0, err
    cli("config", "zotero.retry_backoff_s", "0.01")


def _plan(store, titles_and_ids):
    with store.tx():
        plan_id = store.execute("INSERT INTO plans (name) VALUES ('llm-plan')").lastrowid
        for n, (title, arxiv) in enumerate(titles_and_ids):
            store.execute("INSERT INTO plan_items (plan_id, item_key, position, kind, text, title, arxiv_id, week_label) "
                          "VALUES (?, ?, ?, 'paper', ?, ?, ?, 'Week 1')", (plan_id, f"k{n}", n, title, title, arxiv))
    return plan_id


def test_setup_keeps_the_key_secret(cli, home, fake):
    _setup_web(cli, fake)
    cred = home / "credentials.toml"
    assert stat.S_IMODE(cred.stat().st_mode) == 0o600
    assert fake.api_key in cred.read_text()
    assert fake.api_key not in (home / "config.toml").read_text()
    code, out, _ = cli("zotero", "status", "--json")
    assert code == 0 and fake.api_key not in out and json.loads(out)["api_key_stored"] is True


def test_sync_json_and_matching(cli, store, fake):
    fake.put_item(paper_data("LoRA: Low-Rank Adaptation of Large Language Models", arxiv="2106.09685"))
    fake.put_item(paper_data("Distilling the Knowledge in a Neural Network", authors=("Geoffrey Hinton",)))
    fake.put_item(paper_data("Scaling Laws for Neural Language Models", authors=("Jared Kaplan",)))
    fake.put_item(paper_data("Scaling Laws for Neural Language Model", authors=("Someone Else",)))  # a near-duplicate
    plan_id = _plan(store, [("LoRA", "2106.09685"), ("Distilling the knowledge in a neural network", None),
                            ("Scaling laws for neural language models", None), ("FlashAttention: Fast and Memory-Efficient Exact Attention", None)])
    _setup_web(cli, fake)
    code, out, err = cli("sync", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["added"], report["updated"], report["deleted"]) == (4, 0, 0)
    assert report["matching"] == {"matched": 2, "ambiguous": 1, "unmatched": 1}
    assert fake.api_key not in out
    lora_item = store.one("SELECT * FROM plan_items WHERE plan_id = ? AND item_key = 'k0'", (plan_id,))
    assert store.scalar("SELECT arxiv_id FROM papers WHERE id = ?", (lora_item["paper_id"],)) == "2106.09685"
    rows = {r["title"]: r for r in unmatched(store)}
    assert rows["Scaling laws for neural language models"]["state"] == "ambiguous"
    assert len(rows["Scaling laws for neural language models"]["candidates"]) == 2
    assert rows["FlashAttention: Fast and Memory-Efficient Exact Attention"]["state"] == "unmatched"
    from kb.cli.zotero import plan_unmatched
    from click.testing import CliRunner
    from kb.cli.context import Ctx

    result = CliRunner().invoke(plan_unmatched, ["--json"], obj=Ctx(home=store.home))
    assert result.exit_code == 0 and len(json.loads(result.output)) == 2
    # One plan, named as `kb plan show` names it: positionally or with --plan, by a prefix or the id.
    for args in (["llm-plan"], ["--plan", "llm"], [str(plan_id)]):
        result = CliRunner().invoke(plan_unmatched, [*args, "--json"], obj=Ctx(home=store.home))
        assert result.exit_code == 0 and len(json.loads(result.output)) == 2, (args, result.output)
    # A plan that does not exist is an error, not "every plan paper is matched".
    result = CliRunner().invoke(plan_unmatched, ["--plan", "no-such-plan"], obj=Ctx(home=store.home))
    assert result.exit_code != 0 and "no plan 'no-such-plan'" in result.output + str(result.exception)
    # A higher threshold makes nothing match by title, but the arXiv id still does.
    strict = match_plan_items(store, threshold=101).counts()
    assert strict["matched"] >= 1


def test_push_dry_run_then_apply(cli, store, fake):
    from kb import papers

    fake.put_item(paper_data("LoRA: Low-Rank Adaptation of Large Language Models", arxiv="2106.09685"))
    _plan(store, [("LoRA", "2106.09685"), ("FlashAttention: Fast and Memory-Efficient Exact Attention", "2205.14135")])
    flash, _ = papers.upsert(store, title="FlashAttention: Fast and Memory-Efficient Exact Attention", arxiv_id="2205.14135", authors=["Tri Dao"], year=2022)
    store.execute("UPDATE plan_items SET paper_id = ? WHERE item_key = 'k1'", (flash.id,))
    _setup_web(cli, fake)
    assert cli("sync", "--json")[0] == 0
    lora = store.one("SELECT * FROM papers WHERE arxiv_id = '2106.09685'")
    papers.set_status(store, lora["id"], "read")
    writes = fake.count("POST")
    code, out, err = cli("zotero", "push", "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["dry_run"] is True and fake.count("POST") == writes
    assert sorted(c["action"] for c in plan["changes"]) == ["create_collection", "create_item", "set_tags"]
    code, out, err = cli("zotero", "push", "--apply", "--json")
    assert code == 0, err
    assert json.loads(out)["applied"] == {"create_collection": 1, "create_item": 1, "set_tags": 1}
    created = [o["data"] for o in fake.items.values() if o["data"]["title"].startswith("FlashAttention")]
    assert len(created) == 1 and created[0]["extra"] == "arXiv: 2205.14135"
    coll = next(k for k, c in fake.collections.items() if c["data"]["name"] == "llm-plan")
    assert created[0]["collections"] == [coll] and created[0]["tags"] == [{"tag": "kb:unread"}]
    lora_data = fake.items[lora["zotero_key"]]["data"]
    assert lora_data["tags"] == [{"tag": "kb:read"}]
    assert json.loads(cli("zotero", "push", "--json")[1])["changes"] == []  # in step after the apply + re-sync


def test_plan_from_collection(cli, store, fake):
    coll = fake.put_collection("Reading Group")
    sub = fake.put_collection("Week 2", parent=coll)
    fake.put_item(paper_data("Attention Is All You Need", arxiv="1706.03762", collections=[coll]))
    fake.put_item(paper_data("BERT: Pre-training of Deep Bidirectional Transformers", arxiv="1810.04805", collections=[sub]))
    fake.put_item(paper_data("Not in the collection"))
    _setup_web(cli, fake)
    assert cli("sync")[0] == 0
    from click.testing import CliRunner
    from kb.cli.context import Ctx
    from kb.cli.zotero import plan_from_collection

    result = CliRunner().invoke(plan_from_collection, ["reading group", "--json"], obj=Ctx(home=store.home))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"plan": "Reading Group", "plan_id": 1, "items": 2, "added": 2, "removed": 0}
    rows = store.all("SELECT title, section, arxiv_id, paper_id FROM plan_items ORDER BY position")
    assert [(r["title"], r["section"]) for r in rows] == [("Attention Is All You Need", None), ("BERT: Pre-training of Deep Bidirectional Transformers", "Week 2")]
    assert all(r["paper_id"] for r in rows)
    code, _, err = cli("sync")
    missing = CliRunner().invoke(plan_from_collection, ["Nope"], obj=Ctx(home=store.home))
    assert missing.exit_code != 0


def test_errors_are_one_line(cli, fake):
    code, out, err = cli("sync")
    assert code != 0 and "kb zotero setup" in err and "Traceback" not in err
    cli("zotero", "setup", "--api-key", "not-the-key", "--library-id", fake.library_id, "--endpoint", fake.url)
    code, out, err = cli("sync", "--json")
    assert code != 0 and "403" in err and "not-the-key" not in err + out and "Traceback" not in err


def test_bibtex_and_csl_exports(cli, store, tmp_path, papers_dir):
    bib = tmp_path / "lib.bib"
    pdf = papers_dir / "2106.09685.pdf"
    bib.write_text(
        "@article{hu2021lora,\n title={{LoRA}: Low-Rank Adaptation of Large Language Models},\n author={Hu, Edward J. and Shen, Yelong},\n"
        " year={2021}, eprint={2106.09685}, archivePrefix={arXiv}, keywords={peft, lora},\n"
        f" file={{Full Text PDF:{pdf}:application/pdf;{tmp_path / 'missing.pdf'}}}\n}}\n"
        "@inproceedings{dao2022flash,\n title={FlashAttention}, author={Dao, Tri}, year={2022}, doi={10.5555/Flash.1}\n}\n",
        encoding="utf-8")
    assert cli("zotero", "setup", "--bibtex", str(bib))[0] == 0
    code, out, err = cli("sync", "--json")
    report = json.loads(out)
    assert (report["added"], report["files"]) == (2, 1)
    assert any("missing.pdf" in w for w in report["warnings"])
    lora = store.one("SELECT * FROM papers WHERE arxiv_id = '2106.09685'")
    assert json.loads(lora["authors"]) == ["Edward J. Hu", "Yelong Shen"] and lora["title"].startswith("LoRA:")
    assert store.scalar("SELECT path FROM attachments WHERE paper_id = ?", (lora["id"],)) == str(pdf)
    csl = tmp_path / "lib.json"
    csl.write_text(json.dumps([{"id": "kaplan", "type": "article", "title": "Scaling Laws for Neural Language Models",
                                "author": [{"family": "Kaplan", "given": "Jared"}], "issued": {"date-parts": [[2020, 1]]},
                                "URL": "https://arxiv.org/abs/2001.08361"}, {"type": "broken"}]), encoding="utf-8")
    assert cli("zotero", "setup", "--bibtex", str(csl))[0] == 0
    report = json.loads(cli("sync", "--json")[1])
    assert report["added"] == 1 and len(report["warnings"]) == 1
    assert store.scalar("SELECT year FROM papers WHERE arxiv_id = '2001.08361'") == 2020


def test_push_summaries_as_child_notes_then_update_in_place(cli, store, home, fake):
    fake.put_item(paper_data("LoRA: Low-Rank Adaptation of Large Language Models", arxiv="2106.09685"))
    _setup_web(cli, fake)
    assert cli("sync", "--json")[0] == 0
    lora = store.one("SELECT * FROM papers WHERE arxiv_id = '2106.09685'")
    note = home / "notes" / f"{lora['citekey']}.md"
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text("---\ncitekey: x\n---\n## Problem\n\n## Method\nFreeze W0 & learn <BA>.\n", encoding="utf-8")
    code, out, err = cli("zotero", "push", "--summaries", "--no-tags", "--json")
    assert code == 0, err
    assert [c["action"] for c in json.loads(out)["changes"]] == ["create_note"]
    code, out, err = cli("zotero", "push", "--summaries", "--no-tags", "--apply", "--json")
    assert code == 0, err
    assert json.loads(out)["applied"]["create_note"] == 1
    notes = [o["data"] for o in fake.items.values() if o["data"].get("itemType") == "note"]
    assert len(notes) == 1 and notes[0]["parentItem"] == lora["zotero_key"]
    assert "Freeze W0 &amp; learn &lt;BA&gt;." in notes[0]["note"] and "Problem" not in notes[0]["note"]
    assert notes[0]["tags"] == [{"tag": "kb:summary"}]
    # Nothing changed: nothing to push. An edited note updates the same Zotero note.
    assert json.loads(cli("zotero", "push", "--summaries", "--no-tags", "--json")[1])["changes"] == []
    note.write_text(note.read_text(encoding="utf-8") + "\n## Questions\nWhy only W_q and W_v?\n", encoding="utf-8")
    code, out, err = cli("zotero", "push", "--summaries", "--no-tags", "--apply", "--json")
    assert code == 0, err
    assert json.loads(out)["applied"]["update_note"] == 1
    notes = [o["data"] for o in fake.items.values() if o["data"].get("itemType") == "note"]
    assert len(notes) == 1 and "Why only W_q and W_v?" in notes[0]["note"]


def test_a_plan_imported_after_the_sync_is_matched_at_once(cli, store, fake, tmp_path):
    """The user's order: connect Zotero, sync, then import the reading plan. Only `kb sync`
    matched plans, so `kb plan unmatched` found no record and said every paper was in Zotero."""
    fake.put_item(paper_data("LoRA: Low-Rank Adaptation of Large Language Models", arxiv="2106.09685"))
    _setup_web(cli, fake)
    code, _, err = cli("sync", "--json")
    assert code == 0, err
    plan = tmp_path / "plan.md"
    plan.write_text("# 计划\n## 第1周\n- LoRA: Low-Rank Adaptation of Large Language Models (arXiv:2106.09685)\n"
                    "- FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness\n", encoding="utf-8")
    code, out, err = cli("plan", "import", str(plan))
    assert code == 0, err
    assert "against Zotero: 1 matched, 0 ambiguous, 1 not in Zotero" in out
    code, out, err = cli("plan", "unmatched", "--json")
    assert code == 0, err
    assert [r["title"] for r in json.loads(out)] == ["FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness"]
    code, out, _ = cli("plan", "import", str(plan), "--json")
    assert json.loads(out)["matching"] == {"matched": 1, "ambiguous": 0, "unmatched": 1}


def test_plan_papers_never_matched_are_not_called_matched(cli, store, fake, tmp_path):
    """A plan imported after the sync by an older kb has no match records: not "every paper is
    matched" but a line saying to sync."""
    fake.put_item(paper_data("LoRA: Low-Rank Adaptation of Large Language Models", arxiv="2106.09685"))
    _setup_web(cli, fake)
    assert cli("sync")[0] == 0
    _plan(store, [("Distilling the knowledge in a neural network", None)])
    code, out, err = cli("plan", "unmatched")
    assert code != 0 and "1 plan paper(s) have not been matched to Zotero yet" in err and "kb sync" in err
    assert cli("sync")[0] == 0
    code, out, err = cli("plan", "unmatched")
    assert code == 0 and "Distilling the knowledge" in out
