"""Sheets whose size is a lie: a workbook whose declared or used range would make the reader
build a grid beyond the bound is refused (exit 2, the range named) before any grid exists.

The dangerous files run in a real subprocess under an address-space limit, so that a failure
of the check ends that child (MemoryError or abort), never pytest.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from models.db import dispose_engines
from provision.cli import app
from tests.importers.conftest import SCHOOLS, write_xlsx, write_xlsx_xml

MAIN = "from provision.cli import main; main()"
# The console command's own entry: it checks a roster workbook and starts parsing it before the
# CLI loads (importers.ahead), so a lying sheet must be refused on that way in too.
CONSOLE = "from provision.launch import run; run()"
MEMORY_LIMIT = 2 << 30  # address space of the child: the 4 GB or 512 GB grids cannot happen
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _far_cell(tmp_path: Path, ref: str) -> Path:
    """A 5 KB roster, as openpyxl (or Excel) saves it, with one stray cell at `ref`."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "0421"
    ws.append(["Email", "Name"])
    ws.append(["anna@school.ua", "Anna Koval"])
    ws[ref] = "x"
    path = tmp_path / f"far-{ref}.xlsx"
    wb.save(path)
    return path


def _sheet(dimension: str | None, rows: str) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    head = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}">'
    return f"{head}{dim}<sheetData>{rows}</sheetData></worksheet>"


HEADER_ROWS = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Name</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>anna@school.ua</t></is></c>'
    '<c r="B2" t="inlineStr"><is><t>Anna Koval</t></is></c></row>'
)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _import(tmp_path: Path, path: Path, entry: str = MAIN) -> tuple[int, str, str, float]:
    """`provision import roster FILE --dry-run --json` in a child: (exit code, stdout, stderr,
    the child's own peak RSS in MB, from wait4: RUSAGE_CHILDREN would mix in earlier children)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-c", entry, "--db", f"sqlite:///{tmp_path / 'p.db'}", "import", "roster"),
                *(str(path), "--school", "0421", "--dry-run", "--json"),
            ],
            stdout=out,
            stderr=err,
            preexec_fn=_limit_memory,
            cwd=tmp_path,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read().decode(), err.read().decode(), usage.ru_maxrss / 1024


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (lambda tmp: _far_cell(tmp, "XFD1048576"), "declares the range A1:XFD1048576"),
        (lambda tmp: _far_cell(tmp, "CV1048576"), "declares the range A1:CV1048576"),
        # the declared range says two columns; a cell far away says otherwise
        (
            lambda tmp: write_xlsx_xml(
                tmp / "liar.xlsx",
                "0421",
                _sheet("A1:B2", HEADER_ROWS + '<row r="1048576"><c r="CV1048576"><v>1</v></c></row>'),
            ),
            "uses the range A1:CV1048576",
        ),
        # cells without references sit where they fall: 100 of them on row 1,048,576
        (
            lambda tmp: write_xlsx_xml(
                tmp / "norefs.xlsx",
                "0421",
                _sheet(None, HEADER_ROWS + '<row r="1048576">' + "<c><v>1</v></c>" * 100 + "</row>"),
            ),
            "uses the range A1:CV1048576",
        ),
        # a merged range is filled cell by cell by the reader
        (
            lambda tmp: write_xlsx_xml(
                tmp / "merged.xlsx",
                "0421",
                _sheet(None, HEADER_ROWS).replace(
                    "</worksheet>",
                    '<mergeCells count="1"><mergeCell ref="B2:XFD90000"/></mergeCells></worksheet>',
                ),
            ),
            "uses the range A1:XFD90000",
        ),
    ],
)
@pytest.mark.parametrize("entry", [MAIN, CONSOLE], ids=["main", "console"])
def test_a_sheet_whose_range_is_a_lie_is_refused_before_the_grid_is_built(
    tmp_path: Path, make: Any, named: str, entry: str
) -> None:
    path = make(tmp_path)
    assert path.stat().st_size < 10_000
    code, stdout, stderr, peak_mb = _import(tmp_path, path, entry)
    assert code == 2, (code, stderr[-2000:])
    error = json.loads(stdout)["error"]
    assert error["type"] == "FileFormatError"
    assert f"{path.name}: sheet '0421' {named}" in error["message"]
    assert "at most 5,000,000 cells" in error["message"]
    assert peak_mb < 200, peak_mb


def test_wide_and_long_real_sheets_are_read(tmp_path: Path) -> None:
    """60 columns (beyond the single-letter ones) and rows past 100,000 on a narrow sheet pass."""
    wide = [
        ["Email", "Name", *(f"extra {i}" for i in range(58))],
        ["anna@school.ua", "Anna Koval", *range(58)],
    ]
    write_xlsx(tmp_path / "schools.xlsx", {"schools": SCHOOLS})
    url = f"sqlite:///{tmp_path / 'p.db'}"
    runner = CliRunner()
    try:
        assert (
            runner.invoke(app, ["--db", url, "import", "schools", str(tmp_path / "schools.xlsx")]).exit_code
            == 0
        )
        path = write_xlsx(tmp_path / "wide.xlsx", {"0421": wide})
        result = runner.invoke(app, ["--db", url, "import", "roster", str(path), "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["data"]["rows_accepted"] == 1
        # one person listed on row 150,000 (a long sheet of blank rows between): 2 columns x 150,000
        tall = write_xlsx_xml(
            tmp_path / "tall.xlsx",
            "0421",
            _sheet(
                "A1:B150000",
                HEADER_ROWS
                + '<row r="150000"><c r="A150000" t="inlineStr"><is><t>bohdan@school.ua</t></is></c>'
                '<c r="B150000" t="inlineStr"><is><t>Bohdan Boiko</t></is></c></row>',
            ),
        )
        result = runner.invoke(app, ["--db", url, "import", "roster", str(tall), "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["data"]["schools"]["0421"]["added"] == 1
    finally:
        dispose_engines()


@pytest.mark.slow
def test_a_real_100000_row_roster_still_imports(tmp_path: Path) -> None:
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>person{r}@school.ua</t></is></c>'
        f'<c r="B{r}" t="inlineStr"><is><t>Person {r}</t></is></c>'
        f'<c r="C{r}" t="inlineStr"><is><t>teacher</t></is></c></row>'
        for r in range(2, 100_002)
    )
    header = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>Name</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>Role</t></is></c></row>'
    )
    path = write_xlsx_xml(tmp_path / "big.xlsx", "0421", _sheet("A1:C100001", header + rows))
    write_xlsx(tmp_path / "schools.xlsx", {"schools": SCHOOLS})
    url = f"sqlite:///{tmp_path / 'p.db'}"
    try:
        runner = CliRunner()
        assert (
            runner.invoke(app, ["--db", url, "import", "schools", str(tmp_path / "schools.xlsx")]).exit_code
            == 0
        )
        result = runner.invoke(app, ["--db", url, "import", "roster", str(path), "--dry-run", "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["data"]["rows_accepted"] == 100_000
    finally:
        dispose_engines()
