"""`kb export bibtex|csljson`: the stored citekeys, LaTeX escaping that reads back, a plan's papers."""

from __future__ import annotations

import json

import bibtexparser
from bibtexparser.bparser import BibTexParser
from pylatexenc.latex2text import LatexNodes2Text

ODD = "Editing [/etc/hosts] & 50% of $x_1$ {unbalanced #1 ~ ^ \\ for LoRA — 低秩适配"


def _read(text: str) -> dict:
    parser = BibTexParser(common_strings=True)
    parser.ignore_nonstandard_types = False
    return {e["ID"]: e for e in bibtexparser.loads(text, parser=parser).entries}


def _plain(latex: str) -> str:
    """LaTeX back to text, as a reader's TeX would print it (pylatexenc's decoder, taught the three
    text-mode macros it lacks or renders as a modifier letter)."""
    from pylatexenc.latex2text import MacroTextSpec, get_default_latex_context_db

    db = get_default_latex_context_db()
    db.add_context_category("bibtex-text", prepend=True, macros=[
        MacroTextSpec("textbraceleft", "{"), MacroTextSpec("textbraceright", "}"), MacroTextSpec("textasciicircum", "^")])
    return LatexNodes2Text(latex_context=db).latex_to_text(latex)


def test_special_characters_round_trip(cli, make_paper, tmp_path):
    odd = make_paper(ODD, authors=["Łukasz Kaiser", "张三", "Jean-Baptiste d'Alembert"], year=2024, venue="Proceedings of ACL")
    make_paper()  # LoRA
    target = tmp_path / "refs.bib"
    code, out, _ = cli("export", "bibtex", "-o", str(target), "--json")
    assert code == 0 and json.loads(out)["entries"] == sorted([odd.citekey, "hu2021lora"])
    entries = _read(target.read_text(encoding="utf-8"))
    entry = entries[odd.citekey]
    assert entry["ENTRYTYPE"] == "inproceedings" and entry["year"] == "2024"
    assert _plain(entry["title"]) == ODD  # every special character escaped, and read back as written
    assert _plain(entry["author"]) == "Kaiser, Łukasz and 张三 and d'Alembert, Jean-Baptiste"
    assert "{LoRA:}" in entries["hu2021lora"]["title"]  # its capitals survive a bibliography style


def test_naive_writing_does_not_round_trip(make_paper, store):
    """The check above can fail: the title written without escaping does not read back."""
    paper = make_paper(ODD)
    naive = f"@misc{{{paper.citekey},\n  title = {{{ODD}}}\n}}\n"
    entries = _read(naive)
    assert paper.citekey not in entries or _plain(entries[paper.citekey]["title"]) != ODD


def test_plan_papers_in_plan_order_and_csljson(cli, tmp_path, seeds_dir):
    seed = sorted(seeds_dir.glob("001_*.txt"))[0]
    assert cli("plan", "import", str(seed), "--name", "yan0")[0] == 0
    code, out, _ = cli("plan", "show", "yan0", "--json")
    in_plan = []
    for phase in json.loads(out)["phases"]:
        for week in phase["weeks"]:
            for item in week["items"]:
                if item["paper"] and item["paper"]["citekey"] not in in_plan:
                    in_plan.append(item["paper"]["citekey"])
    code, out, _ = cli("export", "bibtex", "--plan", "yan0")
    assert code == 0 and list(_read(out)) == in_plan and len(in_plan) >= 3
    code, out, _ = cli("export", "csljson", "--plan", "yan0")
    items = json.loads(out)
    assert code == 0 and [i["id"] for i in items] == in_plan and all(i["title"] for i in items)
    code, _, err = cli("export", "bibtex", "--plan", "nope")
    assert code == 3 and err.startswith("error: no plan 'nope'")
