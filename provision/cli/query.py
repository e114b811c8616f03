"""CLI commands: `schools`, `school CODE`, `person EMAIL` (read-only; provision.reports.queries answers)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from provision.cli._common import (
    JsonOption,
    Output,
    OutputOption,
    console,
    emit,
    open_records,
    output_mode,
    read_records,
    run_context,
)

if TYPE_CHECKING:
    from models.reader import Reader
    from provision.reports import accounts as accounts_report
    from provision.reports import queries, waiting


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


def _pct(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "n/a"


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)


def _plan_line(plan: queries.PlanInfo | None) -> str:
    from provision.reports import queries

    if plan is None:
        return f"waiting: {queries.NO_PLAN} (run `provision plan`)"
    return f"waiting from the plan of {_when(plan.created_at)} UTC ({plan.fingerprint[:12]})"


def _render_schools(report: queries.SchoolsReport) -> None:
    table = Table(title="Schools", title_justify="left")
    for header in ("code", "name", "region", "quota", "licensed", "pending", "waiting", "utilization"):
        table.add_column(
            header, justify="right" if header in ("quota", "licensed", "pending", "waiting") else "left"
        )
    for r in report.schools:
        util = _pct(r.utilization)
        if r.utilization is not None and r.utilization > 1:
            util = f"[bold red]{util}[/]"
        table.add_row(
            r.code,
            r.name,
            r.region or "",
            str(r.quota),
            str(r.licensed),
            str(r.pending),
            _count(r.waiting),
            util,
        )
    t = report.totals
    table.add_section()
    table.add_row(
        "total",
        f"{t['schools']} schools",
        "",
        str(t["quota"]),
        str(t["licensed"]),
        str(t["pending"]),
        _count(t["waiting"]),
        _pct(t["utilization"]),
        style="bold",
    )
    _table(table)
    console.print(_plan_line(report.plan), highlight=False)
    if report.account:
        a = report.account["seats"]
        console.print(
            f"account: {a['used']} of {a['purchased']} seats used, "
            f"{a['pending']} pending (observed {_when(a['observed_at'])} UTC)",
            highlight=False,
        )


def _render_school(report: queries.SchoolReport) -> None:
    s = report.school
    console.print(
        f"[bold]{s.code}[/] {escape(s.name)} ({escape(s.region or 'no region')}): {s.licensed} licensed "
        f"of {s.quota} seats ({_pct(s.utilization)}), {s.pending} pending, {_count(s.waiting)} waiting",
        highlight=False,
    )
    if s.account:
        console.print(f"Zoom account: {escape(s.account)}", highlight=False)
    table = Table(title_justify="left")
    for header in (
        "email",
        "name",
        "role",
        "primary",
        "license",
        "add-ons",
        "why waiting",
        "last login",
        "pending since",
    ):
        table.add_column(header)
    for m in report.members:
        role = m.role if m.active else f"{m.role} (left {_when(m.left_at)[:10]})"
        table.add_row(
            m.email,
            f"{m.given_name or ''} {m.family_name or ''}".strip(),
            role,
            "yes" if m.primary else "",
            m.license,
            m.addons or "",
            m.waiting or "",
            _when(m.last_login),
            _when(m.pending_since),
        )
    _table(table)
    console.print(_plan_line(report.plan), highlight=False)


def _render_person(report: queries.PersonReport | queries.MatchesReport) -> None:
    from provision.reports import queries

    if isinstance(report, queries.MatchesReport):
        _render_matches(report)
        return
    p = report.person
    name = f" {p['given_name']} {p['family_name']}".rstrip() if p else ""
    console.print(f"[bold]{escape(report.email)}[/]{escape(name)}: {escape(report.answer)}", highlight=False)
    if p is None and not report.memberships:
        console.print("not on any roster in our records", highlight=False)
    for m in report.memberships:
        state = "active" if m["active"] else f"left {_when(m['left_at'])}"
        account = f", Zoom account {m['account']}" if m.get("account") else ""
        console.print(
            f"  {m['institution_code']} {m['institution_name']}: {m['role']}"
            f"{', primary' if m['primary'] else ''}, {state}{account}",
            highlight=False,
            markup=False,
        )
    for w in report.waiting_at:
        if w["counted_at"] is not None:  # the counting school's reason is the answer above
            console.print(f"  at {w['institution_code']}: {w['reason']}", highlight=False, markup=False)
    if not report.waiting_at and report.plan is None and report.memberships:
        console.print(_plan_line(None), highlight=False)
    _render_rejected(report.rejected)
    snap = report.snapshot
    if snap:
        console.print(
            f"zoom: {report.license}, id {snap['zoom_id'] or '-'}"
            f"{', account ' + snap['account'] if snap.get('account') else ''}, "
            f"add-ons {snap['addons'] or 'none'}, "
            f"last login {_when(snap['last_login_time']) or 'never'} "
            f"(observed {_when(snap['observed_at'])} UTC)",
            highlight=False,
            markup=False,
        )
    table = Table(title="history", title_justify="left")
    for header in ("at (UTC)", "actor", "action", "school", "result", "before", "after"):
        table.add_column(header)
    for e in report.history:
        table.add_row(
            _when(e["at"]),
            e["actor"],
            e["action"],
            e["institution_code"] or "",
            e["result"] or "",
            _short(e["before"]),
            _short(e["after"]),
        )
    if report.history:
        _table(table)
    else:
        console.print("history: no change recorded", highlight=False)


def _render_rejected(rejected: list[dict[str, Any]]) -> None:
    for r in rejected:
        sheet = f", sheet {r['sheet']}" if r["sheet"] else ""
        when = f"{r['imported_at']:%Y-%m-%d}" if r["imported_at"] else "an earlier import"
        who = " ".join(part for part in (r["name"], f"<{r['email']}>" if r["email"] else "") if part)
        console.print(
            f"  rejected at import on {when}: {r['file']}{sheet}, row {r['row']}"
            f"{', column ' + r['column'] if r['column'] else ''}: {r['reason']}"
            f"{' (' + who + ')' if who else ''}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


def _render_matches(report: queries.MatchesReport) -> None:
    if report.matches:
        table = Table(title=f"{len(report.matches)} people match {report.query!r}", title_justify="left")
        for header in ("email", "name", "schools"):
            table.add_column(header)
        for m in report.matches:
            table.add_row(m.email, f"{m.given_name} {m.family_name}".strip(), ", ".join(m.schools))
        _table(table)
        console.print("`provision person EMAIL` shows one of them.", highlight=False, markup=False)
    else:
        console.print(
            f"nobody named {report.query!r} on a roster; rows about them were rejected:", markup=False
        )
    _render_rejected(report.rejected)


def _render_waiting(report: waiting.WaitingReport) -> None:
    if report.plan is None:
        console.print(report.note or "", highlight=False, markup=False)
        return
    table = Table(title=f"waiting ({_plan_line(report.plan).removeprefix('waiting ')})", title_justify="left")
    for header in ("school", "#", "email", "name", "role"):
        table.add_column(header, no_wrap=True)
    table.add_column("why", overflow="fold")
    for line in report.lines:
        table.add_row(
            line.institution_code or "",
            str(line.place) if line.place is not None else "",
            line.email,
            f"{line.given_name} {line.family_name}".strip(),
            line.role,
            line.reason,
        )
    _table(table)
    counted = sum(1 for line in report.lines if line.counted_at is None)
    console.print(f"{counted:,} waiting", highlight=False)


def _short(value: Any) -> str:
    if not value:
        return ""
    return ", ".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else str(value)


# The tables a renderer made, when they are wanted as CSV rather than drawn (--output csv).
_collected: list[Table] | None = None


def _table(table: Table) -> None:
    from provision.reports.tables import print_table

    if _collected is not None:
        _collected.append(table)
    else:
        print_table(console, table)


def _product(ctx: typer.Context) -> int | None:
    """The policy's Zoom One product (None: Zoom Meetings): whose holders the reports read licensed."""
    from provision.cli.plan import effective_policy

    return effective_policy(run_context(ctx).settings).zoom_one_type


def _show(
    ctx: typer.Context,
    ask: Callable[[Reader], Any],
    render: Callable[[Any], None],
    json_output: bool,
    output: Output | None = None,
) -> None:
    """One read-only query on its own connection, printed as JSON, CSV or tables."""
    with read_records(run_context(ctx).settings) as reader:
        report = ask(reader)
    _print_report(ctx, report, render, json_output, output)


def _print_report(
    ctx: typer.Context, report: Any, render: Callable[[Any], None], json_output: bool, output: Output | None
) -> None:
    """The report as JSON, CSV or tables (--json, --output, --quiet)."""
    global _collected
    from provision.reports.tables import print_table, write_csv

    mode = output_mode(json_output, output)
    if mode is Output.JSON:
        emit(ctx, report.to_data())
    elif mode is Output.CSV:
        _collected = []
        try:
            with console.capture():  # only the tables, as CSV: the lines around them are for people
                render(report)
            write_csv(sys.stdout, _collected)
        finally:
            _collected = None
    elif run_context(ctx).quiet:  # the tables alone
        _collected = []
        try:
            with console.capture():
                render(report)
            for table in _collected:
                print_table(console, table)
        finally:
            _collected = None
    else:
        render(report)


def schools(
    ctx: typer.Context,
    region: Annotated[str | None, typer.Option("--region", help="Only the schools of this region.")] = None,
    json_output: JsonOption = False,
    output: OutputOption = None,
) -> None:
    """Each school with quota, licensed, pending, waiting and utilization; totals."""
    from provision.reports import queries

    product = _product(ctx)
    _show(
        ctx,
        lambda db: queries.schools(db, region=region, product=product),
        _render_schools,
        json_output,
        output,
    )


def school(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The school's code.")],
    json_output: JsonOption = False,
    output: OutputOption = None,
) -> None:
    """Each member of one school: role, license state, add-ons, why waiting, last login."""
    from provision.reports import queries

    product = _product(ctx)
    _show(ctx, lambda db: queries.school(db, code, product=product), _render_school, json_output, output)


def person(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="An email, or a name as typed (any script, any order).")],
    json_output: JsonOption = False,
    output: OutputOption = None,
) -> None:
    """One person: licensed, invited, waiting (and why), rejected at import; their history."""
    from provision.reports import queries

    product = _product(ctx)
    _show(
        ctx, lambda db: queries.find_person(db, query, product=product), _render_person, json_output, output
    )


def waiting_command(
    ctx: typer.Context,
    school: Annotated[str | None, typer.Option("--school", help="Only this school's line.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Only this region's schools.")] = None,
    json_output: JsonOption = False,
    output: OutputOption = None,
) -> None:
    """Who waits for a seat, school by school in the order seats will go, and why (latest plan)."""
    from provision.reports import waiting

    _show(
        ctx,
        lambda db: waiting.waiting_lines(db, school=school, region=region),
        _render_waiting,
        json_output,
        output,
    )


def _render_accounts(report: accounts_report.AccountsReport) -> None:
    table = Table(title="Zoom accounts", title_justify="left")
    for header in ("account", "schools", "seats", "basic", "creates today", "synced"):
        table.add_column(
            header, justify="right" if header == "schools" else "left", no_wrap=header == "account"
        )
    for r in report.accounts:
        name = "main" if r.kind == "main" else f"{r.account} ({'alias' if r.kind == 'alias' else 'sub'})"
        if r.seats_purchased is None:
            seats = basic = "?"
        else:
            seats = f"{r.licensed}+{r.pending}/{r.seats_purchased}, {r.free} free"
            basic = f"{r.basic} of {r.basic_cap}"
        creates = f"{r.created_today} of {r.daily_create_cap}" if r.daily_create_cap is not None else "no cap"
        synced = f"{r.observed_at:%m-%d %H:%M}" if r.observed_at else "never"
        table.add_row(escape(name), str(r.schools), seats, basic, creates, synced)
    _table(table)
    if any(r.observed_at is None for r in report.accounts):
        console.print("an account never synced: run `provision sync`", style="yellow")


def accounts_command(
    ctx: typer.Context, json_output: JsonOption = False, output: OutputOption = None
) -> None:
    """Each Zoom account (main, sub-accounts, aliases): schools, seats, use, Basic users and caps."""
    from models import session_scope
    from provision.cli.plan import effective_policy
    from provision.reports import accounts as accounts_report

    settings = run_context(ctx).settings
    policy = effective_policy(settings)
    with session_scope(open_records(settings)) as session:
        report = accounts_report.accounts(session, policy)
    _print_report(ctx, report, _render_accounts, json_output, output)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("accounts")(accounts_command)
    app.command("schools")(schools)
    app.command("school")(school)
    app.command("person")(person)
    app.command("waiting")(waiting_command)
