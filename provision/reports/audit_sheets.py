"""The Summary and Drift sheets of the auditors' workbook (tables with notes and a chart after them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

from provision.reports import queries
from provision.reports.audit_rows import REGION_HEADERS, SUMMARY_COLUMNS, DriftTable, _ms, drift_header
from provision.reports.xlsx import Column, TableWriter


def summary_rows(report: queries.SchoolsReport) -> Iterator[tuple[Any, ...]]:
    for r in report.schools:
        yield (
            r.code,
            r.name,
            r.region,
            r.kind,
            r.quota,
            r.members,
            r.licensed,
            r.pending,
            r.waiting,
            r.utilization,
        )


def _write_summary(wb: Workbook, report: queries.SchoolsReport, generated_at: datetime) -> int:
    table = TableWriter(wb, "Summary", SUMMARY_COLUMNS)
    count = table.write(summary_rows(report))
    cells = table.cells
    t = report.totals
    table.append_free_row([])
    table.append_free_row(
        [
            cells.bold("Total"),
            f"{t['schools']} schools",
            None,
            None,
            t["quota"],
            t["members"],
            t["licensed"],
            t["pending"],
            t["waiting"],
            cells.value(t["utilization"], "percent"),
        ]
    )
    table.append_free_row([])
    header_row = table.append_free_row([cells.header(h) for h in REGION_HEADERS])
    region_rows = queries.regions(report.schools)
    waiting_known = report.plan is not None
    for reg in region_rows:
        table.append_free_row(
            [
                cells.text(reg["region"]),
                reg["schools"],
                reg["quota"],
                reg["licensed"],
                reg["waiting"] if waiting_known else None,
                cells.value(reg["utilization"], "percent"),
            ]
        )
    table.append_free_row([])
    plan = report.plan
    table.append_free_row(
        [
            cells.text(
                f"Waiting from the plan of {plan.created_at:%Y-%m-%d %H:%M} UTC ({plan.fingerprint[:12]})"
            )
        ]
        if plan and plan.created_at
        else [cells.text(f"Waiting: {queries.NO_PLAN}")]
    )
    account = report.account
    if account:
        seats = account["seats"]
        table.append_free_row(
            [
                cells.text(
                    f"Account seats: {seats['used']} used of {seats['purchased']} "
                    f"purchased, {seats['pending']} pending "
                    f"(observed {seats['observed_at']:%Y-%m-%d %H:%M} UTC)"
                )
            ]
        )
    table.append_free_row([cells.text(f"Generated {generated_at:%Y-%m-%d %H:%M:%S} UTC; times are UTC")])
    if region_rows:
        first, last = header_row + 1, header_row + len(region_rows)
        chart = BarChart()
        chart.type = "col"
        chart.title = "Utilization by region"
        chart.y_axis.title = "Licensed / quota"
        chart.y_axis.number_format = "0%"
        chart.x_axis.title = "Region"
        chart.legend = None
        util_col = len(REGION_HEADERS)
        data = Reference(table.ws, min_col=util_col, min_row=header_row, max_row=last)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(table.ws, min_col=1, min_row=first, max_row=last))
        chart.width, chart.height = 22, 11
        table.ws.add_chart(chart, "L2")  # type: ignore[misc]  # stubs bind it to Worksheet only
    return count


def _write_drift(wb: Workbook, drift: DriftTable | None) -> int:
    if drift is None:
        table = TableWriter(wb, "Drift", (Column("Kind"), Column("Detail")))
        return table.write([("none", "no reconcile yet (run `provision reconcile`)")])
    columns = [
        Column(drift_header(name), "datetime" if name.endswith(("_at", "_time")) else "auto")
        for name in drift.columns
    ]
    table = TableWriter(wb, "Drift", columns)
    rows = [
        tuple(_as_time(v) if c.kind == "datetime" else v for v, c in zip(row, columns, strict=False))
        for row in drift.rows
    ]
    if not rows:
        rows = [("none", None, None, "no drift: Zoom matches the rosters and the policy")]
    count = table.write(rows)
    cells = table.cells
    table.append_free_row([])
    state = "clean" if drift.clean else "drift found"
    when = f"{drift.report_at:%Y-%m-%d %H:%M} UTC" if drift.report_at else "?"
    table.append_free_row([cells.text(f"Reconcile of {when} by {drift.actor or '?'}: {state}")])
    if drift.counts:
        table.append_free_row([cells.bold("Kind"), cells.bold("Count")])
        for kind, n in drift.counts.items():
            table.append_free_row([cells.text(kind), n])
    return count


def _as_time(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return _ms(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    return _ms(value) if isinstance(value, datetime) else value
