"""The graph: direction, prerequisites, tree, export, link/unlink and `kb next`."""

from __future__ import annotations

import json

import networkx as nx

from kb.graph import build_graph, link, neighbours, suggest_next, unlink
from kb.papers import resolve, set_status


def test_edges_point_from_foundation_to_follow_up(lib_store):
    g = build_graph(lib_store)
    lora, qlora, tf = (resolve(lib_store, a).id for a in ("2106.09685", "2305.14314", "1706.03762"))
    assert g.edges[lora, qlora]["kind"] == "prereq" and "cites" in g.edges[lora, qlora]["kinds"]
    assert nx.has_path(g, tf, qlora) and not nx.has_path(g, qlora, tf)
    assert nx.is_directed_acyclic_graph(g)


def test_neighbours(lib_store):
    qlora = resolve(lib_store, "2305.14314").id
    n = neighbours(lib_store, qlora)
    assert {p["title"].split(":")[0] for p in n["builds_on"]} == {"LoRA", "LLM.int8()", "Parameter-Efficient Transfer Learning for NLP"}
    assert {p["title"].split(":")[0] for p in n["prerequisites"]} == {"LoRA", "LLM.int8()"}
    assert n["built_upon_by"] == []


def test_graph_paper_prints_a_tree(lib_cli):
    code, out, _ = lib_cli("graph", "2305.14314", "--depth", "2")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("QLoRA: Efficient Finetuning of Quantized LLMs (2023)")
    assert any(l.startswith("├── LoRA") or l.startswith("└── LoRA") for l in lines)
    assert any("Attention Is All You Need" in l and l.startswith(("│   ", "    ")) for l in lines)  # depth 2
    assert "built upon by: nothing in the library" in out


def test_graph_json_depth_one(lib_cli, lib_store):
    code, out, _ = lib_cli("graph", "1706.03762", "--depth", "1", "--json")
    data = json.loads(out)
    assert code == 0 and data["builds_on"] == []
    # Every paper but QLoRA (which neither cites it nor lists it as a prerequisite) and itself.
    followers = {"1810.04805", "1902.00751", "1910.01108", "2001.08361", "2106.09685", "2205.14135", "2208.07339"}
    assert {c["id"] for c in data["built_upon_by"]} == {resolve(lib_store, a).id for a in followers}
    assert all(c["children"] == [] for c in data["built_upon_by"])


def test_export_formats(lib_cli, tmp_path):
    code, out, _ = lib_cli("graph", "export", "--format", "dot")
    assert code == 0 and out.startswith("digraph papers {") and out.count("->") >= 18
    target = tmp_path / "g.graphml"
    code, _, _ = lib_cli("graph", "export", "--format", "graphml", "-o", str(target))
    g = nx.read_graphml(target)
    assert code == 0 and g.number_of_nodes() == 10 and g.number_of_edges() >= 18
    code, out, _ = lib_cli("graph", "export", "--format", "json")
    data = json.loads(out)
    assert len(data["nodes"]) == 10 and {e["kind"] for e in data["edges"]} <= {"cites", "prereq", "plan"}
    assert all(isinstance(e["source"], int) and e["origin"] in ("references", "catalog", "user") for e in data["edges"])


def test_link_and_unlink(store):
    from kb.papers import upsert

    a, _ = upsert(store, title="Deep Residual Learning for Image Recognition")
    b, _ = upsert(store, title="Vision Transformer at scale")
    assert link(store, a, b) is True and link(store, a, b) is False
    assert build_graph(store).edges[a.id, b.id]["kind"] == "prereq"
    assert unlink(store, a, b) is True and unlink(store, a, b) is False
    assert not build_graph(store).has_edge(a.id, b.id)


def test_unlinking_a_curated_edge_twice_says_the_second_time_that_there_is_no_link(store, cli):
    """`kb graph unlink` of a curated edge said "unlinked" every time: the veto was written again
    and unlink() returned True whether or not the edge was still there."""
    from kb.papers import upsert

    tf, _ = upsert(store, title="Attention Is All You Need", arxiv_id="1706.03762", year=2017)
    bert, _ = upsert(store, title="BERT: Pre-training of Deep Bidirectional Transformers", arxiv_id="1810.04805", year=2019)
    assert build_graph(store).edges[tf.id, bert.id]["kind"] == "prereq"  # from the curated list
    code, out, err = cli("graph", "unlink", str(tf.id), str(bert.id), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["unlinked"] is True and (data["from"]["id"], data["to"]["id"]) == (tf.id, bert.id)
    assert not build_graph(store).has_edge(tf.id, bert.id)
    # Again: nothing is left to remove. Exit 3 (not found), one line, no JSON claiming it.
    for extra in ((), ("--json",)):
        code, out, err = cli("graph", "unlink", str(tf.id), str(bert.id), *extra)
        assert code == 3 and out == "", (code, out, err)
        assert err.startswith("error: Attention Is All You Need is not a prerequisite of BERT"), err
    assert unlink(store, tf, bert) is False
    # Linked again by the user, it can be unlinked once more, and only once.
    code, out, _ = cli("graph", "link", str(tf.id), str(bert.id), "--json")
    assert code == 0 and json.loads(out)["linked"] is True
    code, out, _ = cli("graph", "link", str(tf.id), str(bert.id), "--json")
    assert code == 0 and json.loads(out)["linked"] is False
    assert unlink(store, tf, bert) is True and unlink(store, tf, bert) is False
    # The other way round was never an edge.
    code, out, err = cli("graph", "unlink", str(bert.id), str(tf.id))
    assert code == 3 and "is not a prerequisite" in err


def test_unlink_hides_a_curated_edge(lib_cli, lib_store):
    code, out, _ = lib_cli("graph", "unlink", "1706.03762", "2001.08361")
    assert code == 0 and out.startswith("unlinked")
    g = build_graph(lib_store)
    tf, sl = resolve(lib_store, "1706.03762").id, resolve(lib_store, "2001.08361").id
    assert g.edges[tf, sl]["kinds"] == ["cites"]  # the citation remains, the prerequisite is gone
    code, _, _ = lib_cli("graph", "link", "1706.03762", "2001.08361")
    assert code == 0 and "prereq" in build_graph(lib_store).edges[tf, sl]["kinds"]


def test_self_link_is_refused(lib_cli):
    code, _, err = lib_cli("graph", "link", "2106.09685", "2106.09685")
    assert code == 2 and "own prerequisite" in err


def test_next_follows_prerequisites(store, papers_dir):
    from kb.pdf.ingest import add_paths

    add_paths(store, [papers_dir / f"{a}.pdf" for a in ("1706.03762", "2106.09685", "2208.07339", "2305.14314")])
    titles = lambda: [s["title"].split(":")[0] for s in suggest_next(store, limit=10)]  # noqa: E731
    assert titles() == ["Attention Is All You Need"]  # everything else needs the Transformer
    set_status(store, resolve(store, "1706.03762").id, "read")
    assert titles() == ["LoRA", "LLM.int8()"]  # QLoRA still needs both
    set_status(store, resolve(store, "2106.09685").id, "read")
    set_status(store, resolve(store, "2208.07339").id, "read")
    [only] = suggest_next(store)
    assert only["title"].startswith("QLoRA") and only["reason"].startswith("after ") and "LoRA" in only["reason"] and "LLM.int8()" in only["reason"]
    # The networkx graph and the plain-dict path (which Today uses) agree.
    assert suggest_next(store, graph=build_graph(store)) == [only]


def test_suggestions_agree_with_the_networkx_graph(lib_store):
    plain, via_nx = suggest_next(lib_store, limit=20), suggest_next(lib_store, limit=20, graph=build_graph(lib_store))
    assert plain == via_nx and len(plain) >= 2


def test_today_does_not_import_networkx(library):
    home = library[0]
    """The Today screen's data (read next included) must not pay networkx's import at start-up."""
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from kb.store import Store; from kb.today import today; "
            f"s = Store.open(Path({str(home)!r})); d = today(s, Path({str(home)!r}), {{}}); "
            "print(len(d['read_next']), 'networkx' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-1000:]
    count, imported = out.stdout.split()
    assert int(count) > 0 and imported == "False"


def test_next_cli_json(lib_cli):
    code, out, _ = lib_cli("next", "--limit", "3", "--json")
    items = json.loads(out)
    assert code == 0 and len(items) <= 3
    assert all(set(i) == {"id", "citekey", "title", "year", "reason", "plan"} for i in items)
