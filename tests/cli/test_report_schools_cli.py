"""`provision report schools OUTDIR`: the workbook a ministry sends each school, opened as the school would.

On the demo's own data (12 schools with Ukrainian, Arabic and French rosters, one with mistakes,
after sync, plan and apply) and on rosters imported through the CLI; never on hand-built rows.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from typer.testing import CliRunner

from importers.explain import LANGUAGES, LOCALE_DIR
from models.db import dispose_engines
from provision.cli import app
from provision.demo.flow import run_demo
from provision.reports import school_words
from tests.cli.envelope import envelope
from tests.cli.ministry import Ministry

runner = CliRunner()
SHEETS = {
    "uk": ["Підсумок", "З ліцензією", "У черзі", "Помилки імпорту"],
    "ar": ["ملخص", "مرخَّص", "في الانتظار", "مشكلات الاستيراد"],
    "fr": ["Résumé", "Avec licence", "En attente", "Problèmes d'import"],
    "en": ["Summary", "Licensed", "Waiting", "Import issues"],
}

PLACEHOLDERS = (
    *("%(zone)s", "%(file)s", "%(when)s", "%(used)s", "%(seats)s", "%(share)s"),
    *("%(cap)s", "%(today)s", "%(found)s", "%(due)s", "%(code)s", "%(why)s", "%(at)s"),
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    directory = tmp_path_factory.mktemp("demo")
    result = run_demo(directory, actor="tester")
    dispose_engines()
    return {"db": f"sqlite:///{result.database}", "state": str(result.sandbox_state)}


def _cli(demo: dict[str, Any], *args: str) -> Any:
    result = runner.invoke(
        app,
        ["--db", demo["db"], "--actor", "ministry-desk", *args],
        env={"PROVISION_SANDBOX_STATE": demo["state"]},
    )
    dispose_engines()
    return result


def _json(demo: dict[str, Any], *args: str) -> dict[str, Any]:
    result = _cli(demo, *args, "--json")
    assert result.exit_code == 0, result.output
    return envelope(result.stdout)


@pytest.fixture(scope="module")
def written(demo: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("reports") / "to-send"  # not there yet: the command makes it
    document = _json(demo, "report", "schools", str(out))
    return {"document": document, "files": {f["institution_code"]: f for f in document["data"]["files"]}}


def _rows(ws: Worksheet) -> list[tuple[Any, ...]]:
    return [row for row in ws.iter_rows(values_only=True) if any(v is not None for v in row)]


def _summary(path: str) -> dict[str, Any]:
    wb = load_workbook(path)
    return {field: value for field, value in _rows(wb.worksheets[0])[1:]}


def test_one_workbook_per_school_in_the_language_of_its_roster(written: dict[str, Any]) -> None:
    files = written["files"]
    assert len(files) == 12  # every school of the demo
    expected = {"0421": "uk", "0508": "uk", "1101": "ar", "1103": "ar", "2201": "fr", "2203": "fr"}
    for code, language in expected.items():
        assert files[code]["language"] == language
        wb = load_workbook(files[code]["path"])
        assert wb.sheetnames == SHEETS[language]
        for ws in wb.worksheets:
            assert bool(ws.sheet_view.rightToLeft) == (language == "ar"), (code, ws.title)
            assert ws.freeze_panes == "A2"
            assert ws.auto_filter.ref
            assert ws.auto_filter.ref.startswith("A1:")
            header = next(ws.iter_rows(min_row=1, max_row=1))
            assert all(cell.font.bold for cell in header if cell.value is not None)
            assert all(ws.column_dimensions[cell.column_letter].width >= 6 for cell in header)
    # a name ends with the day, in the folder the command created
    path = Path(files["0421"]["path"])
    assert path.name.startswith("0421-")
    assert path.suffix == ".xlsx"
    assert path.parent.name == "to-send"


def test_licensed_and_waiting_sheets_say_what_the_phone_answers_say(
    demo: dict[str, Any], written: dict[str, Any]
) -> None:
    for code in ("0421", "2202"):
        school = _json(demo, "school", code)["data"]
        holders = {m["email"] for m in school["members"] if m["license"] in ("licensed", "pending")}
        wb = load_workbook(written["files"][code]["path"])
        licensed = _rows(wb.worksheets[1])[1:]
        assert {row[0] for row in licensed} == holders
        assert holders  # the demo applied its plan: each school holds licenses
        line = _json(demo, "waiting", "--school", code)["data"]["waiting"]
        waiting = _rows(wb.worksheets[2])[1:]
        assert [(row[0], row[1]) for row in waiting] == [(w["place"], w["email"]) for w in line]
        summary = _summary(written["files"][code]["path"])
        figures = list(summary.values())
        assert school["school"]["institution_code"] in figures
        assert school["school"]["quota"] in figures
        assert school["school"]["licensed"] in figures
        assert len(line) in figures  # the Waiting figure
    # why they wait, in the school's words (the plan says it in English)
    arabic = _rows(load_workbook(written["files"]["1101"]["path"]).worksheets[2])[1:]
    assert arabic
    assert all(row[5].startswith("جميع تراخيص") for row in arabic), [row[5] for row in arabic]
    french = _rows(load_workbook(written["files"]["2202"]["path"]).worksheets[1])
    assert french[0][:4] == ("Courriel", "Prénom", "Nom", "Fonction")
    assert {row[4] for row in french[1:]} <= {"Avec licence", "Invitation envoyée, pas encore acceptée"}


def test_import_issues_are_the_schools_own_rejected_rows_with_the_fix_in_its_language(
    written: dict[str, Any],
) -> None:
    files = written["files"]
    issues = _rows(load_workbook(files["1101"]["path"]).worksheets[3])
    assert len(issues) == 2  # header + the one row of 1101 the demo's Arabic roster got wrong
    row = dict(zip(issues[0], issues[1], strict=True))
    assert row["القيمة كما كُتبت"] == "salma.mansour@@alamal.edu.lb"
    assert row["المشكلة"] == "عنوان البريد الإلكتروني يحتوي على أكثر من رمز @."
    assert row["طريقة التصحيح"]
    role = _rows(load_workbook(files["1102"]["path"]).worksheets[3])
    assert [r[4] for r in role[1:]] == ["حارس المبنى"]  # the unknown role, as the school typed it
    # 1199 (a code nobody issued) is nobody's: no school's workbook shows it
    for code, f in files.items():
        values = {v for r in _rows(load_workbook(f["path"]).worksheets[3]) for v in r}
        assert "ali.khoury@unknown-school.edu.lb" not in values, code
        if code not in ("1101", "1102"):
            assert written["files"][code]["rows"]["issues"] == 0


def test_the_summary_says_where_and_when_the_data_came_from(
    demo: dict[str, Any], written: dict[str, Any]
) -> None:
    document = written["document"]
    summary = _summary(written["files"]["2201"]["path"])
    assert summary["Version de provision"] == document["version"]
    assert summary["Base de données"] == document["database"]
    assert summary["Opérateur"] == "ministry-desk"
    assert summary["Compte Zoom"] == "not configured"
    assert summary["Généré le (UTC)"] is not None
    assert summary["Données Zoom relevées le (UTC)"] is not None  # the demo synced
    assert summary["Taux d'utilisation"] == _json(demo, "school", "2201")["data"]["school"]["utilization"]
    sandboxed = _json(
        demo,
        "--sandbox",
        "report",
        "schools",
        str(Path(written["files"]["2201"]["path"]).parent),
        "--school",
        "2201",
    )
    again = _summary(sandboxed["data"]["files"][0]["path"])
    assert again["Compte Zoom"] == "sandbox"
    wb = load_workbook(written["files"]["2201"]["path"])
    assert wb.worksheets[0]["B9"].number_format == "0.0%"  # utilization, a percent


def test_a_second_run_the_same_day_never_overwrites(demo: dict[str, Any], tmp_path: Path) -> None:
    first = _json(demo, "report", "schools", str(tmp_path), "--school", "0421")["data"]["files"][0]["path"]
    before = Path(first).read_bytes()
    second = _json(demo, "report", "schools", str(tmp_path), "--school", "0421")["data"]["files"][0]["path"]
    assert second != first
    assert Path(second).name.endswith("-2.xlsx")
    assert Path(first).read_bytes() == before
    region = _json(demo, "report", "schools", str(tmp_path / "kyiv"), "--region", "м. київ")["data"]["files"]
    assert [f["institution_code"] for f in region] == ["0142"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--school", "0999"), "unknown school '0999'"),
        (("--region", "Kyiv"), "unknown region 'Kyiv'"),
        (("--school", "0421", "--region", "Одеська"), "school 0421 is in region"),
    ],
)
def test_an_unknown_school_or_region_is_exit_2_and_writes_nothing(
    demo: dict[str, Any], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    out = tmp_path / "out"
    result = _cli(demo, "report", "schools", str(out), *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not out.exists()


def test_an_imported_roster_in_english_with_a_formula_cell(sqlite_url: str, tmp_path: Path) -> None:
    ministry = Ministry(tmp_path, sqlite_url, seats=5)
    ministry.schools([["0421", "School 21", "Lviv", "school", 3]])
    formula = '=HYPERLINK("http://evil.example","fix me")'
    result = ministry.roster(
        "r.xlsx",
        {
            "staff": [
                ["Email", "First name", "Last name", "Role", "School code"],
                ["a.one@school.ua", "Anna", "One", "teacher", "0421"],
                [formula, "Bohdan", "Two", "teacher", "0421"],
            ]
        },
        "--skip-invalid",
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    document = json.loads(ministry.ok("report", "schools", str(out), "--json").stdout)
    (only,) = document["data"]["files"]
    assert only["language"] == "en"
    wb = load_workbook(only["path"])
    assert wb.sheetnames == SHEETS["en"]
    issues = wb["Import issues"]
    cell = next(c for row in issues.iter_rows(min_row=2) for c in row if c.value == formula)
    assert cell.data_type == "s"  # text, never evaluated
    summary = _summary(only["path"])
    assert summary["Waiting"] == "no plan yet: nobody is waiting until a plan is made"
    assert summary["Zoom data observed at (UTC)"] == "not observed yet (run provision sync)"


def test_every_catalog_translates_every_word_of_the_school_workbook() -> None:
    source = Path(school_words.__file__)
    messages = {m[1] for m in extract_from_file("python", source, keywords={"_": None})}
    assert len(messages) > 40
    for language in LANGUAGES:
        if language == "en":
            continue
        with (LOCALE_DIR / language / "LC_MESSAGES" / f"{school_words.DOMAIN}.po").open("rb") as handle:
            catalog = read_po(handle)
        for message in messages:
            entry = catalog.get(message)
            assert entry is not None, (language, message)
            assert entry.string, (language, message)
            for placeholder in PLACEHOLDERS:
                assert (placeholder in message) == (placeholder in entry.string), (language, message)


def test_why_people_wait_is_written_in_the_schools_language_whatever_the_rule(
    database_url: str, tmp_path: Path
) -> None:
    """Besides the seats: a teacher counted at another school, an address Zoom's autoCreate cannot
    take (held back, then blocked), and Zoom's daily create cap, on a Ukrainian roster."""
    policy = 'create_action = "autoCreate"\n'
    ministry = Ministry(tmp_path, database_url, seats=20, policy=policy)
    ministry.schools(
        [["0421", "Ліцей №1", "Київська", "ліцей", 2], ["0690", "Гімназія", "Київська", "гімназія", 10]]
    )
    header = ["Email", "ПІБ", "Посада"]
    both = ["both@school.ua", "Двоє Марія", "вчителька"]
    lyceum = [header, *([f"t{i}@school.example", f"Вчитель{i}", "вчитель"] for i in range(3)), both]
    assert ministry.roster("0421.xlsx", {"0421": lyceum}).exit_code == 0
    gymnasium = [header, both, ["g0@gmail.com", "Гмейл Олег", "вчитель"]]
    assert ministry.roster("0690.xlsx", {"0690": gymnasium}).exit_code == 0
    ministry.ok("sync")
    ministry.ok("plan")
    # t0 and t1 are created; g0's domain is not the account's: held back, which a rerun cannot change
    assert ministry.run("apply", "--yes").exit_code == 1
    # Invitations from now on (Zoom's daily create cap counts `create` only), at most 3 a day: 2
    # accounts were made today, so 1 of the 3 newcomers is created and 2 wait.
    ministry.policy.write_text("[accounts.main]\ndaily_create_cap = 3\n", encoding="utf-8")
    newcomers = [[f"n{i}@school.ua", f"Новенька{i}", "вчителька"] for i in range(3)]
    assert ministry.roster("0690.xlsx", {"0690": [*gymnasium, *newcomers]}).exit_code == 0
    ministry.ok("sync")
    summary = ministry.data("plan")["summary"]
    # The two held back keep no seat after the plan: the school's, the region's and the account's
    # figures count the one create that goes.
    gymnasium_after = summary["schools"]["0690"]
    assert (gymnasium_after["create"], gymnasium_after["licensed_after"], gymnasium_after["waiting"]) == (
        1,
        1,
        3,
    )
    assert summary["regions"]["Київська"]["licensed_after"] == 3
    assert summary["totals"]["seats_free_after"] == 20 - 3

    said = {(w["institution_code"], w["email"]): w["reason"] for w in ministry.data("waiting")["waiting"]}
    out = tmp_path / "out"
    files = {f["institution_code"]: f for f in ministry.data("report", "schools", str(out))["files"]}
    assert files["0690"]["language"] == "uk"
    rows = _rows(load_workbook(files["0690"]["path"]).worksheets[2])[1:]
    written = {row[1]: row[5] for row in rows}
    assert set(written) == {email for code, email in said if code == "0690"}
    assert said[("0690", "both@school.ua")].startswith("waiting: counted at 0421, ")
    assert (
        written["both@school.ua"]
        == "Враховується в закладі 0421: Усі ліцензії квоти закладу зайняті (2 з 2)."
    )
    assert said[("0690", "g0@gmail.com")].startswith("blocked: autoCreate works only")
    today = datetime.now(UTC).date().isoformat()
    assert written["g0@gmail.com"] == (
        f"З {today} Zoom не приймає адресу цієї особи в тому вигляді, як її записано в списку: "
        "перевірте адресу та повідомте міністерство."
    )
    capped = [email for email in written if email.startswith("n")]
    assert len(capped) == 2
    for email in capped:
        assert "daily create cap" in said[("0690", email)]
        assert written[email] == (
            "Zoom створює щонайбільше 3 користувачів на день у цьому обліковому записі "
            "(сьогодні створено 2): обліковий запис Zoom цієї особи буде створено наступного дня."
        )
    assert not any(text.startswith(("waiting", "blocked")) for text in written.values())
