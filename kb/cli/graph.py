"""`kb graph PAPER`, `kb graph export|link|unlink`, and `kb next`."""

from __future__ import annotations

import click

from kb.cli.context import Ctx, pass_ctx
from kb.cli.output import echo_table, emit_json, say


class DefaultGroup(click.Group):
    """A group whose unknown first argument goes to a default command: `kb graph LoRA` is
    `kb graph show LoRA`, while `kb graph export` still names the subcommand."""

    def __init__(self, *args, default: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.default = default

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


@click.group("graph", cls=DefaultGroup, default="show")
def graph() -> None:
    """Show what a paper builds on and what builds on it; export, link and unlink."""


@graph.command("show")
@click.argument("paper")
@click.option("--depth", type=click.IntRange(1, 10), default=2, show_default=True, help="Levels of ancestors and descendants.")
@click.option("--no-plan", is_flag=True, help="Leave out plan order (read after / read before).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def show(obj: Ctx, paper: str, depth: int, no_plan: bool, as_json: bool) -> None:
    """What PAPER builds on (citations, prerequisites, your [[links]]) and what builds on it, as a
    tree; then its plan neighbours (read after / read before), which are not dependencies."""
    from kb.graph import build_graph
    from kb.graph.tree import plan_order, render, subtree
    from kb.papers import resolve

    found = resolve(obj.store, paper)
    g = build_graph(obj.store, include_plan=not no_plan)
    if as_json:
        emit_json({"paper": {"id": found.id, "title": found.title, "year": found.year},
                   "builds_on": subtree(g, found.id, depth, "up"), "built_upon_by": subtree(g, found.id, depth, "down"),
                   **plan_order(g, found.id)})
        return
    say(render(g, found.id, depth))  # a tree of titles: escapes stripped, line breaks kept


@graph.command("export")
@click.option("--format", "fmt", type=click.Choice(["dot", "graphml", "json"]), default="dot", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE instead of standard output.")
@click.option("--no-plan", is_flag=True, help="Leave out plan-order (read after) edges.")
@pass_ctx
def export_cmd(obj: Ctx, fmt: str, output: str | None, no_plan: bool) -> None:
    """Export the whole graph (dot for Graphviz, graphml for Gephi/yEd, json)."""
    from kb.atomic import write_text
    from kb.graph import build_graph
    from kb.graph.export import export

    text = export(build_graph(obj.store, include_plan=not no_plan), fmt)
    if output:
        write_text(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@graph.command("link")
@click.argument("a")
@click.argument("b")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: linked (false when it already was), from, to.")
@pass_ctx
def link_cmd(obj: Ctx, a: str, b: str, as_json: bool) -> None:
    """Make A a prerequisite of B (read A first)."""
    from kb.graph import link
    from kb.papers import resolve

    pa, pb = resolve(obj.store, a), resolve(obj.store, b)
    added = link(obj.store, pa, pb)
    if as_json:
        emit_json({"linked": added, "from": _ref(pa), "to": _ref(pb)})
        return
    say(f"{'linked' if added else 'already linked'}: {pa.title} → {pb.title}")


@graph.command("unlink")
@click.argument("a")
@click.argument("b")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON: unlinked, from, to, note (the [[link]] left in B's note, or null; no link: the error line and exit 3).")
@pass_ctx
def unlink_cmd(obj: Ctx, a: str, b: str, as_json: bool) -> None:
    """Remove "A is a prerequisite of B" (a [[link]] to A in B's note stays in the note)."""
    from kb.errors import NotFound
    from kb.graph import unlink
    from kb.papers import resolve
    from notes.links import link_between

    pa, pb = resolve(obj.store, a), resolve(obj.store, b)
    # False when nothing was removed: never linked, or an earlier unlink already removed it.
    if not unlink(obj.store, pa, pb):
        raise NotFound(f"{pa.title} is not a prerequisite of {pb.title}", "see `kb graph PAPER` for its edges")
    note = link_between(obj.store, pb.id, pa.id)
    if as_json:
        emit_json({"unlinked": True, "from": _ref(pa), "to": _ref(pb), "note": note})
        return
    say(f"unlinked: {pa.title} → {pb.title}")
    if note is not None:
        say(f"  the [[link]] stays in your note ({note['note_path']}, line {note['line']}); the graph no longer "
            f"draws it (`kb graph link` draws it again)")


def _ref(paper) -> dict:
    return {"id": paper.id, "citekey": paper.citekey, "title": paper.title}


@click.command("next")
@click.option("--limit", type=click.IntRange(1, 100), default=5, show_default=True)
@click.option("--no-plan", is_flag=True, help="Ignore plan order: rank by what builds on what you read.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def next_cmd(obj: Ctx, limit: int, no_plan: bool, as_json: bool) -> None:
    """Suggest unread papers whose prerequisites you have read, in plan order."""
    from kb.graph import suggest_next

    items = suggest_next(obj.store, limit=limit, include_plan=not no_plan)
    if as_json:
        emit_json(items)
        return
    if not items:
        click.echo("nothing to suggest: every unread paper still has an unread prerequisite (or all are read)")
        return
    echo_table([(i["id"], i["title"], i["year"] or "", i["reason"]) for i in items], ["id", "title", "year", "why"], [6, 50, 4, 70])
