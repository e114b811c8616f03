"""The rejects a school receives: one workbook per school, its rows whole, the fix in its language."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from importers import ImportReport, default_rejects_path, write_rejects_xlsx
from importers.explain import LANGUAGES, LOCALE_DIR
from importers.report import Rejected
from models.db import dispose_engines
from provision.cli import app
from tests.cli.envelope import payload
from tests.importers.conftest import SCHOOLS, write_csv, write_xlsx

UK = ("Код закладу", "Прізвище", "Ім'я", "Електронна пошта", "Посада")
AR = ("رمز المدرسة", "اسم العائلة", "الاسم الأول", "البريد الإلكتروني", "الوظيفة")
FR = ("Code établissement", "Nom", "Prénom", "Courriel", "Rôle")


@pytest.fixture
def db(sqlite_url: str, tmp_path: Path) -> Any:
    path = write_xlsx(tmp_path / "schools.xlsx", {"schools": SCHOOLS})
    assert CliRunner().invoke(app, ["--db", sqlite_url, "import", "schools", str(path)]).exit_code == 0
    yield sqlite_url
    dispose_engines()


def _import(db: str, path: Path, *extra: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["--db", db, "import", "roster", str(path), "--json", *extra])
    assert result.exit_code == 2, result.output
    return payload(result.stdout)


def _sheet(path: str | Path) -> Any:
    return openpyxl.load_workbook(path).active


def _rows(path: str | Path) -> list[tuple[Any, ...]]:
    return list(_sheet(path).iter_rows(values_only=True))


def test_one_workbook_per_school_with_whole_rows_in_ukrainian(db: str, tmp_path: Path) -> None:
    roster = write_xlsx(
        tmp_path / "весна.xlsx",
        {
            "Аркуш1": [
                UK,
                ["0421", "Бондар", "Іван", "i.bondar@school21", "вчитель"],
                ["0421", "Коваль", "Олена", "olena.koval@school21.edu.ua", "вчитель"],
                ["0422", "Наджар", "Ахмад", "ahmad.najjar@@school22.edu.ua", "вчитель"],
                ["0422", "Ткач", "Марта", "marta.tkach@school22.edu.ua", "садівник"],
                ["9999", "Мельник", "Ірина", "iryna@school99.edu.ua", "вчитель"],
            ]
        },
    )
    files = _import(db, roster)["rejects_files"]
    assert set(files) == {"0421", "0422", "no-school"}
    for path in files.values():
        assert Path(path).parent == tmp_path / "rejects"
    rows_0421 = _rows(files["0421"])
    assert rows_0421[0] == ("Файл", "Аркуш", "Рядок", *UK, "Хибна колонка", "Що не так", "Як виправити")
    assert len(rows_0421) == 2  # only 0421's row: 0422's are not in its file
    bondar = rows_0421[1]
    assert bondar[:8] == ("весна.xlsx", "Аркуш1", 2, "0421", "Бондар", "Іван", "i.bondar@school21", "вчитель")
    assert bondar[8] == "Електронна пошта"
    assert "не повний домен" in bondar[9]
    assert "@school21.edu.ua" in bondar[10]
    rows_0422 = _rows(files["0422"])
    assert [r[4] for r in rows_0422[1:]] == ["Наджар", "Ткач"]
    assert "більше одного знака @" in rows_0422[1][9]  # not the same words as a cut-short domain
    assert "Посади «садівник» ми не знаємо" in rows_0422[2][9]
    assert "вчитель, директор, персонал, учень" in rows_0422[2][10]
    assert "Коду закладу «9999» немає" in _rows(files["no-school"])[1][9]


def test_formatting_bold_frozen_filtered_widths(db: str, tmp_path: Path) -> None:
    roster = write_xlsx(tmp_path / "r.xlsx", {"0421": [["Email", "Name", "Role"], ["broken", "Anna K", "x"]]})
    ws = _sheet(_import(db, roster)["rejects_files"]["0421"])
    assert all(cell.font.bold for cell in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:I2"
    assert ws.column_dimensions["H"].width > ws.column_dimensions["C"].width  # the problem is wide
    assert ws.sheet_view.rightToLeft in (None, False)


def test_arabic_roster_gets_a_right_to_left_sheet_in_arabic(db: str, tmp_path: Path) -> None:
    roster = write_xlsx(
        tmp_path / "ar.xlsx",
        {"Roster": [AR, ["0422", "منصور", "سلمى", "salma.mansour@@alamal.edu.lb", "معلم"]]},
    )
    path = _import(db, roster)["rejects_files"]["0422"]
    ws = _sheet(path)
    assert ws.sheet_view.rightToLeft is True
    header, row = _rows(path)
    assert header[-1] == "طريقة التصحيح"
    assert row[4:6] == ("منصور", "سلمى")
    assert "أكثر من رمز @" in row[-2]


def test_french_and_english_rosters_get_their_language(db: str, tmp_path: Path) -> None:
    fr = write_xlsx(
        tmp_path / "fr.xlsx", {"0421": [FR, ["0421", "Dubois", "Théo", "theo.dubois@", "enseignant"]]}
    )
    (header, row) = _rows(_import(db, fr)["rejects_files"]["0421"])
    assert header[-2:] == ("Problème", "Comment corriger")
    assert "pas un domaine complet" in row[-2]
    en = write_xlsx(tmp_path / "en.xlsx", {"0421": [["Email", "Name", "Role"], ["a@s.ua", "", "teacher"]]})
    (header, row) = _rows(_import(db, en)["rejects_files"]["0421"])
    assert header[-2:] == ("Problem", "How to fix it")
    assert row[-2:] == ("The name is empty.", "Fill in the person's given name and family name.")


def test_dated_names_are_never_overwritten_and_cells_stay_text(db: str, tmp_path: Path) -> None:
    # A CSV keeps what was typed (an xlsx written here would hold real formulas, read as empty).
    roster = write_csv(
        tmp_path / "r.csv",
        [["Email", "Name", "Role", "School"], ["a@s.ua", "=1+1 Koval", "@SUM(1)", "0421"]],
        encoding="utf-8",
    )
    first = Path(_import(db, roster)["rejects_files"]["0421"])
    before = first.read_bytes()
    second = Path(_import(db, roster)["rejects_files"]["0421"])
    assert first != second
    assert second.name == first.name.replace(".xlsx", "-2.xlsx")
    assert first.read_bytes() == before
    assert first.stat().st_mode & 0o777 == 0o600
    row = _rows(second)[1]
    assert row[3:6] == ("a@s.ua", "'=1+1 Koval", "'@SUM(1)")
    with zipfile.ZipFile(second) as zf:
        assert "<f>" not in zf.read("xl/worksheets/sheet1.xml").decode()


def test_dry_run_writes_rejects_only_where_asked(db: str, tmp_path: Path) -> None:
    roster = write_xlsx(
        tmp_path / "r.xlsx", {"0421": [["Email", "Name", "Role"], ["broken", "A B", "teacher"]]}
    )
    assert _import(db, roster, "--dry-run")["rejects_files"] == {}
    assert not (tmp_path / "rejects").exists()
    asked = tmp_path / "to-send"
    files = _import(db, roster, "--dry-run", "--rejects-dir", str(asked))["rejects_files"]
    assert Path(files["0421"]).parent == asked


def test_every_catalog_translates_every_message() -> None:
    messages = {
        m[1] for m in extract_from_file("python", LOCALE_DIR.parent / "explain.py", keywords={"_": None})
    }
    assert len(messages) > 30
    for language in LANGUAGES:
        if language == "en":
            continue
        with (LOCALE_DIR / language / "LC_MESSAGES" / "rejects.po").open("rb") as handle:
            catalog = read_po(handle)
        for message in messages:
            entry = catalog.get(message)
            assert entry is not None, (language, message)
            assert entry.string, (language, message)
            for placeholder in ("%(value)s", "%(first)s"):
                assert (placeholder in message) == (placeholder in entry.string), (language, message)


def test_the_ministry_copy_holds_every_row(tmp_path: Path) -> None:
    report = ImportReport(kind="roster", file="r.xlsx", sha256="0" * 64)
    report.rejected = [
        Rejected("r.xlsx", "0421", 7, "Email", "bad email", "x", school="0421", cells=(("Email", "x"),)),
        Rejected("r.xlsx", "0422", 9, "Email", "bad email", "y", school="0422", cells=(("Email", "y"),)),
    ]
    out = write_rejects_xlsx(report, tmp_path / "out" / "all.xlsx")
    assert [r[:3] for r in _rows(out)[1:]] == [("r.xlsx", "0421", 7), ("r.xlsx", "0422", 9)]


def test_default_rejects_path_is_beside_the_input(tmp_path: Path) -> None:
    assert default_rejects_path(tmp_path / "roster 2026.xlsx") == tmp_path / "roster 2026.rejects.xlsx"

