"""Rich rendering of engine results for the CLI (no business rules: only layout and colour).

Plans: a per-school summary table, account totals, and a diff with one marker per line:
`+` license, `-` unlicense/deactivate, `~` add-on or group, `>` create, `^` reactivate,
`=` adopt, `!` waiting. Text is built with rich.Text, never markup, so names and emails with
brackets print as they are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from provision.core.actions import SPECS
from provision.core.plan import Action, ActionKind, Plan, Waiting
from provision.core.summary import SchoolFigures
from provision.errors import InputError
from provision.reports.tables import print_table

# Marker and colour of each kind's lines: its entry in the action registry.
MARKERS: dict[ActionKind, tuple[str, str]] = {kind: (spec.marker, spec.style) for kind, spec in SPECS.items()}
# The per-school table's change columns, and the kinds each one counts (SPECS[kind].column).
COLUMNS: dict[str, tuple[ActionKind, ...]] = {
    column: tuple(kind for kind, spec in SPECS.items() if spec.column == column)
    for column in ("+", ">", "-", "~")
}
WAITING_MARKER = ("!", "magenta")
KEPT_MARKER = ("=", "yellow")
CONTESTED_MARKER = ("?", "bold yellow")
LIST_LIMIT = 20


def action_line(action: Action) -> Text:
    marker, style = MARKERS[action.kind]
    detail = SPECS[action.kind].detail(action.payload)
    line = Text()
    line.append(f"  {marker} {action.kind.value + detail:<22}", style=style)
    line.append(f" {action.email}")
    line.append(f"  {action.reason}", style="dim")
    return line


def waiting_line(waiting: Waiting, *, kept: bool = False) -> Text:
    """A waiting person's line, or (kept) a license the rosters no longer want that Zoom keeps."""
    marker, style = KEPT_MARKER if kept else WAITING_MARKER
    line = Text()
    if kept:
        label = f"kept ({waiting.role})"
    else:
        label = f"waiting ({waiting.role})" if waiting.counted_at is None else f"also ({waiting.role})"
    line.append(f"  {marker} {label:<22}", style=style)
    line.append(f" {waiting.email}")
    line.append(f"  {waiting.reason}", style="dim")
    return line


_COUNT_COLUMNS = ("Quota", "Now", "After", *COLUMNS, "!", "Grace")


def _counts(row: SchoolFigures) -> list[str]:
    """A school's (or a region's) figures in the order of _COUNT_COLUMNS."""
    return [
        f"{row.quota:,}",
        f"{row.licensed_before:,}",
        f"{row.licensed_after:,}",
        *(f"{row.count(*kinds):,}" for kinds in COLUMNS.values()),
        f"{row.waiting:,}",
        f"{row.grace:,}",
    ]


def school_table(plan: Plan, codes: Collection[str] | None = None) -> Table:
    # Short headers: the table must fit 80 columns (what rich assumes when output is piped).
    table = Table(title="Plan per school", header_style="bold", caption=_TABLE_CAPTION)
    table.add_column("School", no_wrap=True)
    table.add_column("Name", max_width=28, no_wrap=True, overflow="ellipsis")
    for column in _COUNT_COLUMNS:
        table.add_column(column, justify="right", no_wrap=True)
    for code, row in plan.summary.schools.items():
        if codes is None or code in codes:
            table.add_row(Text(code), Text(row.name), *_counts(row))
    return table


def region_table(plan: Plan) -> Table:
    """The plan per region: the first screen of a ministry-wide plan."""
    table = Table(title="Plan per region", header_style="bold", caption=_TABLE_CAPTION)
    table.add_column("Region", max_width=24, no_wrap=True, overflow="ellipsis")
    table.add_column("Schools", justify="right", no_wrap=True)
    for column in _COUNT_COLUMNS:
        table.add_column(column, justify="right", no_wrap=True)
    for region, row in plan.summary.regions.items():
        table.add_row(Text(region), f"{row.schools:,}", *_counts(row))
    return table


def account_table(plan: Plan) -> Table:
    """The plan per Zoom account (a plan over several): each one's seats, Basic users, creates."""
    table = Table(title="Plan per Zoom account", header_style="bold", caption=_TABLE_CAPTION)
    table.add_column("Account", no_wrap=True)
    for column in ("Seats", "Free now", "Free after", "Basic now/after/cap", "Creates (cap/day)", "Changes"):
        table.add_column(column, justify="right", no_wrap=True)
    for key, figures in sorted(plan.summary.accounts.items()):
        t = figures.totals
        cap = f"{figures.create_cap:,}" if figures.create_cap is not None else "-"
        creates = f"{t.actions.get(ActionKind.CREATE, 0):,} ({cap})"
        if figures.creates_held:
            creates += f", {figures.creates_held:,} held"
        table.add_row(
            Text(key or "main"),
            f"{t.seats_purchased:,}",
            f"{t.seats_free_before:,}",
            f"{t.seats_free_after:,}",
            f"{t.basic_before:,}/{t.basic_after:,}/{t.basic_cap:,}",
            creates,
            f"{sum(t.actions.values()):,}",
        )
    return table


def schools_in_region(plan: Plan, region: str) -> set[str]:
    """The codes of the plan's schools in `region` (case forgiven); InputError naming the regions."""
    by_region: dict[str, set[str]] = defaultdict(set)
    for code, row in plan.summary.schools.items():
        by_region[row.region].add(code)
    wanted = region.strip().casefold()
    for name, codes in by_region.items():
        if name.casefold() == wanted:
            return codes
    known = ", ".join(sorted(name for name in by_region if name)) or "none"
    raise InputError(f"unknown region {region!r} in this plan; regions: {known}")


def shortage_text(plan: Plan) -> Text | None:
    """The account cannot give every school its quota: said first, with the rule that shares."""
    short = plan.summary.shortage
    if short is None:
        return None
    text = Text("Seats are short: ", style="bold yellow")
    text.append(
        f"{short.demand:,} people are entitled at {short.schools:,} schools whose quotas allow "
        f"{short.quotas:,} seats; the account can give {short.seats:,}, {short.shortfall:,} short.\n"
    )
    if short.allocation == "priority":
        text.append('Seats go by role priority across the account (policy allocation = "priority").')
    else:
        text.append(
            "Seats are shared in proportion to the quotas, one per school first (policy allocation = "
            f'"proportional"): {short.schools_served:,} of {short.schools:,} schools get at least one.'
        )
    return text


_TABLE_CAPTION = (
    "Now/After: licenses held; "
    + ", ".join(f"{column} {'/'.join(kind.value for kind in kinds)}" for column, kinds in COLUMNS.items())
    + ", ! waiting"
)


def totals_text(plan: Plan) -> Text:
    totals = plan.summary.totals
    counts = plan.counts()
    text = Text()
    text.append("Account seats: ", style="bold")
    text.append(
        f"{totals.seats_purchased} purchased, {totals.seats_used} used, "
        f"{totals.seats_pending} pending; free {totals.seats_free_before} now, "
        f"{totals.seats_free_after} after "
        f"{'the whole account' + chr(39) + 's plan' if plan.summary.scope else 'this plan'}\n"
    )
    if totals.basic_cap:
        text.append("Basic users: ", style="bold")
        text.append(
            f"{totals.basic_before} now, {totals.basic_after} after, of a cap of {totals.basic_cap:,}\n"
        )
    if totals.pending_reading == "disagrees":
        text.append(
            f"Zoom's plan usage reports {totals.seats_usage_reported} in use, which matches neither "
            "reading of its pending count: seats above are counted from the users listed\n",
            style="yellow",
        )
    text.append("Changes: ", style="bold")
    parts = [f"{counts[kind.value]} {kind.value}" for kind in ActionKind if counts[kind.value]]
    text.append(", ".join(parts) if parts else "none")
    text.append(f"; {counts['waiting']} waiting")
    if totals.in_grace:
        text.append(f"; {totals.in_grace} in their grace period")
    short = totals.addons_short
    if short:
        text.append("; add-ons short: " + ", ".join(f"{n} x {cap}" for cap, n in short.items()))
    return text


def _listing(console: Console, title: str, emails: Iterable[str], note: str) -> None:
    emails = list(emails)
    if not emails:
        return
    console.print(Text(f"{title} ({len(emails)}): {note}", style="bold"), soft_wrap=True)
    for email in emails[:LIST_LIMIT]:
        console.print(Text(f"    {email}"))
    if len(emails) > LIST_LIMIT:
        console.print(Text(f"    ... and {len(emails) - LIST_LIMIT} more (--json lists all)", style="dim"))


def grace_lines(plan: Plan, codes: Collection[str] | None, limit: int | None) -> Text | None:
    """Who keeps a license through their grace period, and the day it goes."""
    shown = [g for g in plan.grace if codes is None or g.institution_code in codes]
    if not shown:
        return None
    text = Text(f"In their grace period ({len(shown):,}): the license goes on the day shown", style="bold")
    for g in shown[:limit]:
        text.append(f"\n    {g.until.date().isoformat()}  {g.institution_code or '':<8} {g.email}")
    if limit is not None and len(shown) > limit:
        text.append(f"\n    ... and {len(shown) - limit:,} more (--details or --json lists all)", style="dim")
    return text


def contested_lines(plan: Plan, codes: Collection[str] | None) -> Text | None:
    """Users another writer keeps setting back: both values and times, and what this plan does."""
    shown = [c for c in plan.contested if codes is None or c.get("institution_code") in codes]
    if not shown:
        return None
    marker, style = CONTESTED_MARKER
    text = Text(
        f"Contested ({len(shown):,}): another writer (SAML mapping, license recycling) set their "
        "license back after our last changes; fix that writer, or set policy contested",
        style="bold",
    )
    for item in shown[:LIST_LIMIT]:
        text.append(f"\n  {marker} {'contested':<22}", style=style)
        text.append(f" {item['email']}")
        text.append(f"  {item.get('detail', '')}", style="dim")
    if len(shown) > LIST_LIMIT:
        text.append(f"\n    ... and {len(shown) - LIST_LIMIT:,} more (--json lists all)", style="dim")
    return text


def print_plan(
    console: Console,
    plan: Plan,
    *,
    limit: int | None = None,
    codes: Collection[str] | None = None,
    lines: bool = True,
    schools: bool = True,
) -> None:
    """The readable plan: the summary first (shortage, regions, schools, totals, grace), then the
    changes school by school.

    `codes`: only these schools' rows and lines (None: all). `lines`: print the changes at all.
    `schools`: the per-school table. `limit`: at most this many lines per school (the rest
    counted); None shows everything. Each school's lines are printed as one Text: rich's cost is
    per print call.
    """
    snap = plan.snapshot_at.isoformat(timespec="seconds") if plan.snapshot_at else "never"
    console.print(Text(f"Zoom snapshot taken {snap}; plan {plan.fingerprint[:12]}", style="dim"))
    short = shortage_text(plan)
    if short is not None:
        console.print(short, soft_wrap=True)
    if len(plan.summary.regions) > 1 and codes is None:
        print_table(console, region_table(plan))
    if schools and plan.summary.schools:
        print_table(console, school_table(plan, codes))
    console.print(totals_text(plan))
    if plan.summary.accounts and codes is None:
        print_table(console, account_table(plan))
    grace = grace_lines(plan, codes, None if lines and limit is None else LIST_LIMIT)
    if grace is not None:
        console.print(grace, soft_wrap=True)
    if lines:
        _print_lines(console, plan, codes, limit)

    console.print()
    contested = contested_lines(plan, codes)
    if contested is not None:
        console.print(contested, soft_wrap=True)
    _listing(console, "Protected", plan.protected, "never touched")
    _listing(
        console,
        "Unmanaged",
        plan.unmanaged,
        "on Zoom but on no roster and not managed: reported, not changed",
    )
    _listing(
        console,
        "Managed but on no roster",
        plan.summary.managed_without_roster,
        "reported, not changed",
    )
    if plan.is_empty and not plan.contested:
        console.print(Text("No changes: Zoom matches the rosters and the policy.", style="green"))
    elif plan.is_empty:
        console.print(Text("No changes: only contested users differ, and they are left alone.", "yellow"))


def _print_lines(console: Console, plan: Plan, codes: Collection[str] | None, limit: int | None) -> None:
    actions: dict[str, list[Action]] = defaultdict(list)
    waiting: dict[str, list[Waiting]] = defaultdict(list)
    for action in plan.actions:
        actions[action.institution_code or ""].append(action)
    for item in plan.waiting:
        waiting[item.institution_code or ""].append(item)
    kept: dict[str, list[Waiting]] = defaultdict(list)
    for item in plan.kept:
        kept[item.institution_code or ""].append(item)
    names = {code: row.name for code, row in plan.summary.schools.items()}
    hidden = 0
    for code in sorted(set(actions) | set(waiting) | set(kept)):
        if codes is not None and code not in codes:
            continue
        block = Text(f"\n{code or '(no school)'}", style="bold")
        if names.get(code):
            block.append(f"  {names[code]}", style="bold dim")
        lines = [action_line(a) for a in actions.get(code, [])[: limit if limit is not None else None]]
        room = None if limit is None else max(limit - len(lines), 0)
        lines += [waiting_line(w) for w in waiting.get(code, [])[:room]]
        room = None if limit is None else max(limit - len(lines), 0)
        lines += [waiting_line(k, kept=True) for k in kept.get(code, [])[:room]]
        for line in lines:
            block.append("\n")
            block.append_text(line)
        more = len(actions.get(code, [])) + len(waiting.get(code, [])) + len(kept.get(code, [])) - len(lines)
        if more > 0:
            hidden += more
            block.append(f"\n  ... and {more} more in {code} (provision plan --school {code})", style="dim")
        console.print(block, soft_wrap=True)  # one line per change, never wrapped
    if hidden:
        console.print(
            Text(f"\n{hidden} lines not shown: --details shows every line, --json gives all.", style="dim")
        )
