"""Citekeys are given once and never depend on which source came first: LoRA is hu2021lora
whether a plan (the catalog says ICLR 2022), Zotero's ICLR 2022 item or the arXiv listing
came first, as the README's `kb note hu2021lora` says."""

from __future__ import annotations

import shutil

from fake_zotero import paper_data

from kb import papers
from kb.zotero.sync import sync

LORA = "LoRA: Low-Rank Adaptation of Large Language Models"


def test_lora_is_hu2021lora_whichever_source_comes_first(store, fake, web_source, home):
    plan_first, _ = papers.upsert(store, title=LORA, authors=["Edward J. Hu"], year=2022, arxiv_id="2106.09685")
    assert plan_first.citekey == "hu2021lora"
    fake.put_item(paper_data(LORA, arxiv="2106.09685", year=2022, authors=("Edward J. Hu", "Yelong Shen")))
    sync(store, web_source, match=False)
    assert papers.get(store, plan_first.id).citekey == "hu2021lora" and store.scalar("SELECT count(*) FROM papers") == 1


def test_zotero_first_gives_the_same_key(store, fake, web_source):
    fake.put_item(paper_data(LORA, arxiv="2106.09685", year=2022, authors=("Edward J. Hu",)))
    sync(store, web_source, match=False)
    assert store.scalar("SELECT citekey FROM papers") == "hu2021lora"
    # A later edit in Zotero (another year, another title) never changes the key.
    key = next(iter(fake.items))
    fake.edit_item(key, title="LoRA (ICLR version)", date="2023")
    sync(store, web_source, match=False)
    assert store.scalar("SELECT citekey FROM papers") == "hu2021lora"


def test_readme_example_after_importing_a_seed_plan(cli, shared, tmp_path):
    plan = tmp_path / "计划.md"
    shutil.copyfile(shared / "seeds" / "000_ac20d921330b5aa7.txt", plan)
    assert cli("plan", "import", str(plan), "--name", "seed")[0] == 0
    code, out, err = cli("show", "hu2021lora")
    assert code == 0 and "LoRA" in out, err


def test_collisions_get_letters_in_creation_order(store):
    first, _ = papers.upsert(store, title="Attention patterns in sparse transformers", authors=["Ann Smith"], year=2020)
    second, _ = papers.upsert(store, title="Attention sinks in streaming language models", authors=["Bo Smith"], year=2020)
    third, _ = papers.upsert(store, title="Attention is not explanation", authors=["Cy Smith"], year=2020)
    assert [first.citekey, second.citekey, third.citekey] == ["smith2020attention", "smith2020attentiona", "smith2020attentionb"]
