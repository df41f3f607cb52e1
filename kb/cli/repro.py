"""`kb repro`: list, run and inspect the papers' minimal reproductions (reproductions/)."""

from __future__ import annotations


import click

from kb.cli import types
from kb.cli.context import Ctx, pass_ctx
from kb.cli.output import echo_table, emit_json, progress_enabled, say


@click.group()
def repro() -> None:
    """Run a paper's minimal reproduction and check its claim."""


@repro.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(as_json: bool) -> None:
    """The reproductions on offer, their papers, claims and presets."""
    from reproductions import registry

    specs = registry.all_reproductions()
    if as_json:
        emit_json([s.to_dict() for s in specs])
        return
    echo_table([(s.name, f"arXiv {s.paper}", s.title, " ".join(f"{p.name}~{p.seconds:.0f}s" for p in s.presets)) for s in specs],
               ["name", "paper", "what", "presets"], [16, 16, 60, 30])
    click.echo("\nrun one: kb repro run NAME [--preset tiny|quick|full] [--set key=value]; parameters: kb repro list --json")


@repro.command("run")
@click.argument("name")
@click.option("--preset", default="quick", show_default=True, help="tiny (seconds), quick (a 2-core CPU, ~2 min), full (a GPU).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda.")
@click.option("--seed", default=0, show_default=True, type=types.SEED, help="Seed (repeatable on the same machine).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a parameter (typed and range-checked).")
@click.option("--json", "as_json", is_flag=True, help="Stream JSON lines; the last line is the result record.")
@pass_ctx
def run_cmd(ctx: Ctx, name: str, preset: str, device: str, seed: int, sets: tuple[str, ...], as_json: bool) -> int:
    """Run reproduction NAME (lora, kd, llm-int8, flashattention) and check the paper's claim."""
    from kb.errors import KbError
    from reproductions import registry, runner

    spec = registry.get(name)
    params = spec.parse_sets(list(sets))
    ctx.store  # the database exists and is migrated before the run starts
    handle = runner.start(ctx.home, spec.name, preset=preset, device=device, seed=seed, params=params)
    if not as_json:
        click.echo(f"{spec.title}\npaper: {spec.paper_title} (arXiv {spec.paper})\nclaim: {spec.claim}")
        click.echo(f"run {handle.run_id}: preset {preset}, seed {seed}, device {device}; Ctrl-C cancels")
    record: dict = {}
    try:
        for event in handle.events():
            if event.get("event") == "result":
                record = event
                if as_json:
                    emit_json(record)
                continue
            if as_json:
                emit_json(event)
            else:
                _show_event(event)
    except KeyboardInterrupt:
        handle.cancel()
        record = handle.wait()
        click.echo(f"\ncancelled: run {handle.run_id} recorded as {record.get('status')}", err=True)
        return 130
    if not as_json:
        _clear_bar()
        _show_result(record)
    if record.get("status") == "error":
        raise KbError(f"run {record.get('run_id')} could not run: {record.get('message') or record.get('error')}",
                      record.get("hint") or f"see its log: {record.get('log_path')}")
    if record.get("status") not in ("passed", "failed") or record.get("passed") is None:
        raise KbError(f"run {record.get('run_id')} {record.get('status')}: {record.get('error')}", f"see its log: {record.get('log_path')}")
    return 0


_bar_shown = False


def _show_event(event: dict) -> None:
    global _bar_shown
    kind = event.get("event")
    if kind == "start":
        click.echo(f"device: {event.get('device_name') or event.get('device')}")
    elif kind == "log":
        _clear_bar()
        say(f"  {event.get('message')}")  # the run's own words may quote a --set model name
    elif kind == "error":
        _clear_bar()  # the run's error is said once, with its hint, when the run ends
    elif kind == "progress":
        step, total = event.get("step") or 0, event.get("total") or 0
        frac = step / total if total else 0.0
        bar = "#" * int(frac * 24) + "-" * (24 - int(frac * 24))
        metrics = " ".join(f"{k} {_num(v)}" for k, v in (event.get("metrics") or {}).items())
        eta = f" eta {event['eta_s']:.0f}s" if event.get("eta_s") is not None else ""
        line = f"[{bar}] {event.get('phase') or ''} {step}/{total} {metrics}{eta}"
        if progress_enabled():
            click.echo("\r" + line[:118].ljust(118), nl=False, err=True)
            _bar_shown = True
        elif step == total or event.get("message"):
            click.echo(line, err=True)


def _clear_bar() -> None:
    global _bar_shown
    if _bar_shown:
        click.echo("\r" + " " * 118 + "\r", nl=False, err=True)
        _bar_shown = False


def _num(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _held(v) -> str:
    return "yes" if v is True else "NO" if v is False else "-"


def _show_result(record: dict) -> None:
    details = record.get("details") or {}
    claims = details.get("claims") or []
    if claims:
        click.echo("")
        # The naive variant ran on the same data and met the same check: a check it also passes
        # cannot tell the paper's method from a weaker one, so both are shown side by side.
        echo_table([(c["check"], c["paper"], c["measured"], _held(c.get("held")), c.get("naive") or "-",
                     _held(c.get("naive_held"))) for c in claims],
                   ["check", "paper says", "measured here", "held", "naive variant", "held"], [40, 30, 56, 5, 48, 5])
    for note in details.get("notes") or []:
        say(f"note: {note}")
    verdict = {True: "the claim HELD", False: "the claim did NOT hold", None: "no verdict"}[record.get("passed")]
    click.echo(f"\nrun {record.get('run_id')} · {record.get('status')} · {verdict} · {record.get('device')} · "
               f"{record.get('seconds') or 0:.1f} s · data {record.get('data_hash') or '-'}")


@repro.command("runs")
@click.argument("paper", required=False)
@click.option("--limit", default=50, show_default=True, type=types.LIMIT)
@click.option("--remove", "remove_run", metavar="RUN", help="Remove run RUN's record and log files instead.")
@click.option("--yes", is_flag=True, help="With --remove: do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def runs_cmd(ctx: Ctx, paper: str | None, limit: int, remove_run: str | None, yes: bool, as_json: bool) -> None:
    """Recorded runs, newest first; of one PAPER (any paper reference) or one reproduction name."""
    if remove_run is not None:
        _remove_run(ctx, remove_run, yes, as_json)
        return
    from kb.errors import NotFound
    from reproductions import records, registry

    store = ctx.store
    paper_id = reproduction = None
    if paper:
        if paper.lower() in registry.names():
            reproduction = paper.lower()
        else:
            from kb.papers import resolve

            try:
                paper_id = resolve(store, paper).id
            except NotFound:
                specs = registry.for_arxiv(paper)
                if not specs:
                    raise
                reproduction = specs[0].name
    rows = records.list_runs(store, paper_id=paper_id, reproduction=reproduction, limit=limit)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no runs recorded yet: kb repro run lora")
        return
    echo_table([(r["id"], r["reproduction"], r["preset"], r["device"], r["status"], _held(r["passed"]),
                 f"{r['seconds']:.1f}" if r["seconds"] is not None else "", r["started_at"], _headline(r)) for r in rows],
               ["run", "reproduction", "preset", "device", "status", "held", "s", "started", "headline"],
               [5, 14, 6, 6, 9, 4, 7, 20, 60])


def _remove_run(ctx: Ctx, run_ref: str, yes: bool, as_json: bool) -> None:
    from kb.cli.output import confirm
    from kb.removal import remove_run
    from reproductions.records import get_run

    run = get_run(ctx.store, run_ref)
    confirm(f"Remove run {run['id']} ({run['reproduction']}, {run['status']})?", yes)
    removed = remove_run(ctx.store, str(run["id"]))
    if as_json:
        emit_json(removed)
        return
    say(f"removed run {removed['id']} ({removed['reproduction']}) and {len(removed['files_removed'])} log file(s)")


def _headline(r: dict) -> str:
    claims = (r.get("details") or {}).get("claims") or []
    if claims:
        return claims[0]["measured"]
    return r.get("error") or ""


@repro.command("show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def show_cmd(ctx: Ctx, run_id: str, as_json: bool) -> None:
    """One recorded run: configuration, versions, metrics and the claim table."""
    from reproductions import records

    rec = records.get_run(ctx.store, run_id)
    if as_json:
        emit_json(rec)
        return
    # A record quotes the user's --set values (a model name) and the run's error: escapes stripped.
    for key in ("run_id", "reproduction", "paper", "preset", "seed", "device", "status", "started_at", "seconds", "data_hash", "log_path"):
        say(f"{key:13} {rec.get(key)}")
    say(f"{'claim':13} {rec['claim']}")
    if rec.get("error"):
        say(f"{'error':13} {rec['error']}")
    say(f"{'params':13} " + ", ".join(f"{k}={v}" for k, v in rec["params"].items()))
    say(f"{'versions':13} " + ", ".join(f"{k} {v}" for k, v in rec["versions"].items() if k != "platform"))
    _show_result(rec)
