"""`kb add arXiv:… / doi:… / URL` and `kb plan import --online`, end to end in-process, against
the recorded sources on 127.0.0.1."""

from __future__ import annotations

import json

from kb import papers
from kb.store import Store


def _point_at(cli, sources, online: bool = True):
    for key, value in sources.config(online=online)["resolve"].items():
        assert cli("config", f"resolve.{key}", str(value).lower() if isinstance(value, bool) else str(value))[0] == 0


def test_add_by_id_offline_uses_the_catalog(cli, home):
    code, out, err = cli("add", "arXiv:2106.09685")
    assert code == 0 and "LoRA: Low-Rank Adaptation" in out
    code, out, err = cli("add", "arXiv:2401.04088")
    assert code == 3 and "not in the offline catalog" in err and "hint:" in err and "--online" in err


def test_add_by_id_online_fetches_metadata_and_the_open_access_pdf(cli, home, sources):
    _point_at(cli, sources, online=False)
    code, out, err = cli("add", "arXiv:2401.04088", "--online", "--json")
    assert code == 0, err
    [result] = json.loads(out)["files"]
    assert result["ok"] and result["title"] == "Mixtral of Experts"
    with Store.open(home) as store:
        paper = papers.resolve(store, "2401.04088")
        assert paper.authors[0] == "Albert Q. Jiang" and paper.year == 2024
        pdf = papers.pdf_path(store, paper.id)
        assert pdf and pdf.startswith(str(home / "files")) and open(pdf, "rb").read(4) == b"%PDF"
    assert any(h.startswith("/pdf/2401.04088") for h in sources.hits)


def test_add_by_doi_online_without_an_open_pdf(cli, home, sources):
    _point_at(cli, sources)
    code, out, err = cli("add", "doi:10.1145/3442188.3445922")
    assert code == 0 and "On the Dangers of Stochastic Parrots" in out
    assert "no open-access PDF" in err


def test_plan_import_online_fills_in_what_the_catalog_lacks(cli, home, sources, tmp_path):
    plan = tmp_path / "vlm.md"
    plan.write_text("# 多模态\n\n## 论文\n\n- BLIP-2（[arXiv](https://arxiv.org/abs/2301.12597)）\n"
                    "- [LoRA](https://arxiv.org/abs/2106.09685)\n", encoding="utf-8")
    assert cli("plan", "import", str(plan), "--name", "offline")[0] == 0
    with Store.open(home) as store:
        assert papers.resolve(store, "2301.12597").title == "BLIP-2"  # offline: what the line says
    _point_at(cli, sources)
    code, out, err = cli("plan", "import", str(plan), "--name", "offline", "--online")
    assert code == 0, err
    with Store.open(home) as store:
        blip = papers.resolve(store, "2301.12597")
        assert blip.authors == ["Junnan Li", "Dongxu Li", "Silvio Savarese", "Steven Hoi"] and blip.venue == "ICML 2023"
    assert [h for h in sources.hits if "2106.09685" in h] == []  # the catalog's papers are not asked for


def test_add_a_pdf_link_online_reads_the_downloaded_pdf(cli, home, sources):
    _point_at(cli, sources)
    code, out, err = cli("add", f"{sources.base}/pdf/mixtral.pdf")
    assert code == 0, err
    assert "Mixtral of Experts" in out
    with Store.open(home) as store:
        [paper] = papers.all_papers(store)
        assert papers.pdf_path(store, paper.id).startswith(str(home / "files"))


def test_a_pdf_link_offline_needs_the_network(cli, home, sources):
    code, out, err = cli("add", f"{sources.base}/pdf/mixtral.pdf")
    assert code != 0 and "needs the network" in err and "--online" in err
    assert sources.hits == []


def test_openreview_links_online_in_kb_add_and_in_a_plan(cli, home, sources, tmp_path):
    """An OpenReview link, by `kb add` and as a plan's paper link: looked up on OpenReview (it
    was passed over: "cannot be looked up online")."""
    _point_at(cli, sources)
    code, out, err = cli("add", "https://openreview.net/forum?id=OUIFPHEgJU", "--no-pdf", "--json")
    assert code == 0, err
    assert json.loads(out)["files"][0]["title"] == "QLoRA: Efficient Finetuning of Quantized LLMs"
    plan = tmp_path / "iclr.md"
    plan.write_text("# 微调\n\n## 论文\n\n- 低秩适配（[OpenReview](https://openreview.net/forum?id=nZeVKeeFYf9)）\n", encoding="utf-8")
    code, out, err = cli("plan", "import", str(plan), "--name", "iclr", "--online")
    assert code == 0, err
    with Store.open(home) as store:
        row = store.one("SELECT * FROM papers WHERE title = 'LoRA: Low-Rank Adaptation of Large Language Models'")
        assert row is not None and row["venue"] == "ICLR 2022 Poster" and row["year"] == 2022
        assert json.loads(row["authors"])[:2] == ["Edward J Hu", "yelong shen"]
