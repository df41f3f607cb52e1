"""`kb zotero …`, `kb sync`, and the plan subcommands `unmatched` and `from-collection`."""

from __future__ import annotations

from pathlib import Path

import click

from kb import config as config_mod
from kb import paths
from kb.cli.context import Ctx, pass_ctx
from kb.cli.output import echo_table, emit_json, warn
from kb.errors import BadInput


@click.group()
def zotero() -> None:
    """Connect a Zotero library (web API, local API, zotero.sqlite, BibTeX/CSL-JSON) and write back."""


@zotero.command()
@click.option("--api-key", help="Web API key (visible to other users in `ps`: prefer the hidden prompt, --api-key-stdin or $KB_ZOTERO_API_KEY).")
@click.option("--api-key-stdin", is_flag=True, help="Read the web API key from standard input.")
@click.option("--library-id", help="Web API: the user or group id.")
@click.option("--library-type", type=click.Choice(["user", "group"]), default=None)
@click.option("--endpoint", help="Another API address (a proxy, or the local API on another port).")
@click.option("--local", "use_local", is_flag=True, help="Zotero 7+'s local API on this machine.")
@click.option("--sqlite", "sqlite_path", type=click.Path(dir_okay=False), help="Read zotero.sqlite directly.")
@click.option("--bibtex", "bibtex_path", type=click.Path(dir_okay=False), help="A BibTeX (.bib) or CSL-JSON (.json) export.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Zotero's data directory (the one with storage/).")
@click.option("--base-dir", type=click.Path(file_okay=False), help="Zotero's base directory for linked files.")
@click.option("--group", "group", help="With --sqlite: a group library (its id or name; see `kb zotero libraries`); 'user' for My Library.")
@pass_ctx
def setup(ctx: Ctx, api_key, api_key_stdin, library_id, library_type, endpoint, use_local, sqlite_path, bibtex_path, data_dir, base_dir, group) -> None:
    """Choose the Zotero source that `kb sync` reads."""
    chosen = [n for n, on in (("web", library_id or api_key or api_key_stdin), ("local", use_local), ("sqlite", sqlite_path), ("bibtex", bibtex_path)) if on]
    if len(chosen) != 1:
        raise BadInput("choose one source", "--api-key KEY --library-id N, or --local, or --sqlite PATH, or --bibtex FILE")
    source = chosen[0]
    cfg_path = paths.config_path(ctx.home)
    cfg = config_mod.load(cfg_path)
    zc = cfg["zotero"]
    zc["source"] = source
    if source == "web":
        if not library_id:
            raise BadInput("the web API needs --library-id", "find it at https://www.zotero.org/settings/keys")
        zc["library_id"] = str(library_id)
        _store_api_key(ctx, api_key, api_key_stdin)
    if library_type:
        zc["library_type"] = library_type
    if endpoint is not None:
        zc["endpoint"] = endpoint
    if sqlite_path:
        zc["sqlite_path"] = str(Path(sqlite_path).expanduser().resolve())
        zc["group"] = _sqlite_group(Path(zc["sqlite_path"]), group)
    elif group is not None:
        raise BadInput("--group goes with --sqlite", "the web API takes --library-type group --library-id N")
    if bibtex_path:
        zc["bibtex_path"] = str(Path(bibtex_path).expanduser().resolve())
    if data_dir:
        zc["data_dir"] = str(Path(data_dir).expanduser().resolve())
    if base_dir:
        zc["base_dir"] = str(Path(base_dir).expanduser().resolve())
    config_mod.save(cfg_path, cfg)
    click.echo(f"Zotero source: {source}. Run `kb sync` to fetch the library.")


def _store_api_key(ctx: Ctx, api_key: str | None, from_stdin: bool) -> None:
    """The key from --api-key (with a warning), stdin, $KB_ZOTERO_API_KEY or a hidden prompt."""
    import sys

    from kb.zotero import credentials

    interactive = sys.stdin.isatty() and not credentials.has_api_key(ctx.home)
    key, origin = credentials.read_key(api_key, from_stdin, click.get_text_stream("stdin"), interactive,
                                       lambda: click.prompt("Zotero API key (input hidden)", hide_input=True))
    if key is not None:
        click.echo(f"API key from {origin} stored in {credentials.save_api_key(ctx.home, key)}")
        if api_key is not None:
            warn("--api-key puts the key in the process list, where other users can see it (ps): "
                 "next time leave it out to be asked for it, or use --api-key-stdin or KB_ZOTERO_API_KEY")


def _sqlite_group(path: Path, group: str | None) -> str:
    """The library to read from zotero.sqlite: '' for My Library, or `group:<groupID>`."""
    if group in (None, "", "user"):
        return ""
    from kb.zotero.sqlite_reader import libraries, snapshot

    with snapshot(path) as conn:
        found = libraries(conn)
    for lib in found[1:]:
        if group in (lib["library"], lib["library"].removeprefix("group:"), lib["name"]):
            return lib["library"]
    names = ", ".join(f"{lib['library'].removeprefix('group:')} ({lib['name']})" for lib in found[1:]) or "none"
    raise BadInput(f"{path} has no group library {group!r}", f"its groups: {names}")


@zotero.command()
@click.option("--sqlite", "sqlite_path", type=click.Path(dir_okay=False), help="This zotero.sqlite (default: the one set up).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def libraries(ctx: Ctx, sqlite_path: str | None, as_json: bool) -> None:
    """The libraries in zotero.sqlite (My Library and each group), to choose with `setup --group`."""
    from kb.zotero.sqlite_reader import libraries as list_libraries
    from kb.zotero.sqlite_reader import snapshot

    path = sqlite_path or (ctx.config.get("zotero") or {}).get("sqlite_path")
    if not path:
        raise BadInput("no zotero.sqlite is set up", "pass --sqlite PATH, or run `kb zotero setup --sqlite PATH` first")
    with snapshot(Path(path).expanduser()) as conn:
        rows = list_libraries(conn)
    if as_json:
        emit_json(rows)
        return
    echo_table([(r["library"], r["name"], r["items"]) for r in rows], ["library", "name", "items"], [16, 50, 8])


@zotero.command()
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def status(ctx: Ctx, as_json: bool) -> None:
    """What is connected, and what the last sync brought in."""
    from kb.zotero import credentials
    from kb.zotero.model import REGULAR_ITEM

    zc = ctx.config["zotero"]
    store = ctx.store
    libs = [dict(r) for r in store.all("SELECT * FROM zotero_libraries ORDER BY id")]
    for lib in libs:
        lib["items"] = store.scalar(f"SELECT count(*) FROM zotero_items WHERE library = ? AND {REGULAR_ITEM}", (lib["id"],))
        lib["attachments"] = store.scalar("SELECT count(*) FROM zotero_items WHERE library = ? AND item_type = 'attachment'", (lib["id"],))
        lib["annotations"] = store.scalar("SELECT count(*) FROM annotations WHERE library = ?", (lib["id"],))
        lib["collections"] = store.scalar("SELECT count(*) FROM zotero_collections WHERE library = ?", (lib["id"],))
    info = {"source": zc.get("source") or None, "library_id": zc.get("library_id") or None, "library_type": zc.get("library_type"),
            "endpoint": zc.get("endpoint") or None, "sqlite_path": zc.get("sqlite_path") or None,
            "api_key_stored": credentials.has_api_key(ctx.home), "api_key_storage": credentials.storage(ctx.home), "libraries": libs}
    if as_json:
        emit_json(info)
        return
    click.echo(f"source: {info['source'] or '(not set up: kb zotero setup)'}" + (f"  library: {zc.get('library_type')}:{zc['library_id']}" if info["library_id"] else ""))
    click.echo(f"API key: {'in ' + info['api_key_storage'] if info['api_key_storage'] else 'none on this machine'}")
    if libs:
        echo_table([(l["id"], l["source"], l["version"], l["items"], l["attachments"], l["annotations"], l["collections"], l["synced_at"]) for l in libs],
                   ["library", "source", "version", "items", "files", "annotations", "collections", "synced"])


@zotero.command()
@click.option("--plan", "plan_name", help="Only this plan (default: all plans).")
@click.option("--apply", "do_apply", is_flag=True, help="Write to Zotero (default: show what would change).")
@click.option("--no-create", is_flag=True, help="Do not create missing papers.")
@click.option("--no-tags", is_flag=True, help="Do not set kb:<status> tags.")
@click.option("--summaries", is_flag=True, help="Also attach each paper's note summary as a child note.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def push(ctx: Ctx, plan_name, do_apply, no_create, no_tags, summaries, as_json) -> None:
    """Create the plan's missing papers in Zotero and set reading-status tags (dry run unless --apply)."""
    from kb.zotero.sources import open_source
    from kb.zotero.sync import sync as run_sync
    from kb.zotero.writeback import apply_changes, plan_changes

    source = open_source(ctx.home, ctx.config)
    try:
        from notes.files import notes_dir

        changes = plan_changes(ctx.store, source.library, plan_name, create=not no_create, status_tags=not no_tags,
                               summaries_from=notes_dir(ctx.home, ctx.config) if summaries else None)
        done = apply_changes(ctx.store, source, changes) if do_apply and changes else {}
        if done:
            run_sync(ctx.store, source)
    finally:
        source.close()
    if as_json:
        emit_json({"dry_run": not do_apply, "changes": [c.to_dict() for c in changes], "applied": done})
        return
    if not changes:
        click.echo("Zotero is up to date with the plans.")
        return
    echo_table([(c.action, c.title, ", ".join(c.tags)) for c in changes], ["change", "title", "tags"], [18, 60, 20])
    click.echo(f"applied: {done}" if do_apply else "dry run: nothing was written; add --apply to write these changes")


@zotero.command()
@click.argument("paper")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def annotations(ctx: Ctx, paper: str, as_json: bool) -> None:
    """A paper's Zotero highlights and comments."""
    from kb.papers import resolve

    p = resolve(ctx.store, paper)
    rows = [dict(r) for r in ctx.store.all("SELECT * FROM annotations WHERE paper_id = ? ORDER BY page_index, sort_index", (p.id,))]
    if as_json:
        emit_json(rows)
        return
    echo_table([(r["page_label"], r["type"], r["color"], r["text"], r["comment"]) for r in rows], ["page", "type", "colour", "text", "comment"], [6, 10, 8, 60, 40])


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--no-files", is_flag=True, help="Do not download attachment files.")
@pass_ctx
def sync(ctx: Ctx, as_json: bool, no_files: bool) -> None:
    """Fetch what changed in Zotero since the last sync and match it to the plans."""
    from kb.zotero.sources import open_source
    from kb.zotero.sync import sync as run_sync

    source = open_source(ctx.home, ctx.config)
    try:
        report = run_sync(ctx.store, source, files=not no_files)
    finally:
        source.close()
    if as_json:
        emit_json(report.to_dict())
        _fail_if_incomplete(report)
        return
    for message in report.warnings:
        warn(message)
    click.echo(f"{report.library}: {report.added} added, {report.updated} updated, {report.deleted} deleted, "
               f"{report.unchanged} unchanged; {report.files} files, {report.annotations} annotations (version {report.version})")
    if report.matching:
        m = report.matching
        click.echo(f"plan items: {m['matched']} matched, {m['ambiguous']} ambiguous, {m['unmatched']} not in Zotero"
                   + ("  (see `kb plan unmatched`)" if m["ambiguous"] or m["unmatched"] else ""))
    _fail_if_incomplete(report)


def _fail_if_incomplete(report) -> None:
    """Part of the server's listing could not be read: what came is applied, but the sync failed."""
    if report.incomplete:
        from kb.zotero.errors import ZoteroError

        more = f" (and {len(report.incomplete) - 1} more)" if len(report.incomplete) > 1 else ""
        raise ZoteroError(f"the sync is incomplete: {report.incomplete[0]}{more}",
                          "nothing was lost and the library version was kept: the next `kb sync` asks for the rest again")


@click.command()
@click.argument("plan", required=False)
@click.option("--plan", "plan_option", help="Only this plan (the same as PLAN).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def plan_unmatched(ctx: Ctx, plan: str | None, plan_option: str | None, as_json: bool) -> None:
    """Plan papers not matched to one Zotero item (ambiguous ones with their candidates).

    PLAN (or --plan) limits the list to one plan: a name, a unique prefix of one, or an id, as
    for `kb plan show`."""
    from kb.errors import NotFound
    from kb.plans.query import resolve_plan
    from kb.zotero.match import never_matched, unmatched

    if plan and plan_option and plan != plan_option:
        raise BadInput(f"two plans named: {plan!r} and --plan {plan_option!r}", "name one")
    plan_ref = plan or plan_option
    # Resolved first: an unknown name listed nothing, and then said every plan paper was matched.
    plan_name = resolve_plan(ctx.store, plan_ref)["name"] if plan_ref else None

    if ctx.store.scalar("SELECT count(*) FROM zotero_libraries") == 0:
        # with no library there is nothing to match against: "every paper is matched" would be false
        if ctx.config["zotero"].get("source"):
            raise NotFound("Zotero is set up but has not been synced yet: no plan paper has been matched", "run `kb sync`")
        raise NotFound("no Zotero library is connected: there is nothing to match plan papers against",
                       "connect one with `kb zotero setup` (--local, --sqlite FILE, --bibtex FILE or --api-key), then `kb sync`")
    rows = unmatched(ctx.store, plan_name)
    never = never_matched(ctx.store, plan_name)
    if not rows and never:
        # A plan imported after the last sync by an older kb: no match was recorded either way.
        raise NotFound(f"{never} plan paper(s) have not been matched to Zotero yet", "run `kb sync`")
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("Every plan paper is matched to a Zotero item.")
        return
    echo_table([(r["plan"], r["week"] or "", r["title"], r["state"], "; ".join(f"{c['title']} ({c['score']})" for c in r["candidates"][:3]))
                for r in rows], ["plan", "week", "title", "state", "candidates"], [16, 12, 50, 10, 70])


@click.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def plan_from_collection(ctx: Ctx, name: str, as_json: bool) -> None:
    """Make a reading plan from a Zotero collection (run `kb sync` first)."""
    from kb.zotero.collection_plan import plan_from_collection as build

    result = build(ctx.store, name)
    if as_json:
        emit_json(result)
        return
    click.echo(f"plan {result['plan']!r}: {result['items']} papers ({result['added']} new, {result['removed']} removed)")
