"""`kb`: the entry point. With no command it opens the TUI.

Every area registers its commands here by module path and one-line help; the module is only
imported when its command runs, which keeps `kb --help` and the TUI start-up fast.
"""

from __future__ import annotations

import sys

import click

from kb import __version__
from kb.cli.lazy import LazyGroup

COMMANDS: dict[str, tuple[str, str]] = {
    # foundation
    "papers": ("kb.cli.library:papers", "List the papers in the library."),
    "show": ("kb.cli.library:show", "Show one paper: metadata, plan entries, attachments."),
    "status": ("kb.cli.library:status", "Set a paper's reading status (unread, reading, read, reviewed)."),
    "open": ("kb.cli.library:open_cmd", "Open a paper's PDF (at a page) in your viewer."),
    "today": ("kb.cli.library:today", "What's on today: cards due, this week's plan, what to read next, recent runs."),
    "config": ("kb.cli.library:config_cmd", "Show or change settings (config.toml in the data dir)."),
    "plan": ("kb.cli.plan:plan", "Import reading plans from Markdown and show them week by week."),
    "demo": ("kb.cli.demo:demo", "Build the demo library (a bilingual plan and a dozen generated papers)."),
    "tui": ("kb.cli.library:tui", "Open the terminal app (the same as plain `kb`)."),
    "paper": ("kb.cli.library:paper_group", "One paper: remove it from the library (its note stays)."),
    # zotero
    "zotero": ("kb.cli.zotero:zotero", "Connect a Zotero library (web API, local API, zotero.sqlite, BibTeX)."),
    "sync": ("kb.cli.zotero:sync", "Fetch what changed in Zotero and match it to the plans."),
    "add": ("kb.cli.add:add", "Add papers from PDF files or a folder of PDFs."),
    # full text, search, graph
    "index": ("kb.cli.index:index", "Extract and index the papers' full text (keyword + semantic)."),
    "search": ("kb.cli.index:search", "Search the library by meaning or by exact words (English or Chinese)."),
    "graph": ("kb.cli.graph:graph", "Show what a paper builds on and what builds on it; export the graph."),
    "next": ("kb.cli.graph:next_cmd", "Suggest what to read next."),
    # notes and review
    "note": ("kb.cli.notes:note", "Open a paper's Markdown note in your editor."),
    "cards": ("kb.cli.notes:cards", "List (or check) the flash cards in a paper's note."),
    "links": ("kb.cli.notes:links_cmd", "A paper's [[citekey]] links and the notes linking to it (backlinks)."),
    "review": ("kb.cli.notes:review", "Review due flash cards (FSRS spaced repetition)."),
    "export": ("kb.cli.notes:export", "Export cards (Anki .apkg) or the bibliography (BibTeX, CSL-JSON)."),
    # reproductions
    "repro": ("kb.cli.repro:repro", "Run a paper's minimal reproduction and check its claim."),
    # brief
    "brief": ("kb.cli.brief:brief", "Write the group-meeting brief (Markdown, PDF, slides, HTML)."),
    # reliability
    "backup": ("kb.cli.backup:backup", "Write a consistent backup archive (database, notes, config)."),
    "restore": ("kb.cli.backup:restore", "Restore a backup archive."),
}


@click.group(cls=LazyGroup, registry=COMMANDS, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(file_okay=False), envvar="KB_HOME", help="Data directory (default: the platform's user data dir).")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(__version__, prog_name="kb")
@click.pass_context
def cli(ctx: click.Context, home: str | None, debug: bool) -> None:
    """paper-kb: read, search, review and reproduce the papers of your reading plan."""
    from kb import paths
    from kb.cli.context import Ctx

    ctx.obj = Ctx(home=paths.data_home(home), debug=debug)
    if any((ctx.obj.home / name).exists() for name in (".restore-journal.json", ".restore-staging")):
        from kb.restore import finish_interrupted  # a restore was killed: finish or undo it first

        click.echo(f"note: {finish_interrupted(ctx.obj.home)}", err=True)
    ctx.call_on_close(ctx.obj.close)
    if ctx.invoked_subcommand is None:
        from kb.cli.library import open_tui

        open_tui(ctx.obj)


def main(argv: list[str] | None = None) -> int:
    from kb.errors import KbError

    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        rv = cli.main(args=argv, prog_name="kb", standalone_mode=False)
        if isinstance(rv, int):
            return rv
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KbError as exc:
        if debug:
            raise
        from kb.terminal_text import clean

        # Messages quote data (titles in an ambiguous match, a plan's name): escapes stripped.
        click.echo(f"error: {clean(exc.message)}", err=True)
        if exc.hint:
            click.echo(f"  hint: {clean(exc.hint)}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last line of defence: one line, not a traceback
        if debug:
            raise
        click.echo(f"error: unexpected {type(exc).__name__}: {exc}", err=True)
        click.echo("  hint: run again with --debug for the traceback, and report it", err=True)
        return 70
    return 0


if __name__ == "__main__":
    sys.exit(main())
