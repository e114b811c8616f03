"""What real files look like: formulas, merged cells, .ods, and files that are no roster at all."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from importers import FileFormatError, import_roster
from importers import readers as readers_module
from importers.headers import find_header
from importers.normalize import key
from importers.roles import map_role
from models import ImportBatch, Membership, Person
from models.db import session_scope
from tests.importers.conftest import write_ods, write_xlsx, write_xlsx_with_formulas


def _roster(engine: Engine, path: Path, **kw: object):
    with session_scope(engine) as session:
        return import_roster(session, path, actor="tester", **kw)


def _emails(engine: Engine) -> dict[str, str]:
    with session_scope(engine) as s:
        return dict(s.execute(select(Person.email, Person.given_name)).all())


def _nothing_written(engine: Engine) -> bool:
    with session_scope(engine) as s:
        people = s.execute(select(func.count()).select_from(Person)).scalar_one()
        batches = s.execute(select(func.count()).select_from(ImportBatch).where(ImportBatch.kind == "roster"))
        return people == 0 and batches.scalar_one() == 0


@pytest.mark.parametrize(
    "header",
    [
        "Email",
        " E-MAIL ",
        "\ufeffemail",
        "Електронна пошта",
        "Адрес электронной почты",
        "Courriel",
        "Adresse e-mail",
        "البريد الإلكتروني",
        "البريد الالكتروني",
    ],
)
def test_email_header_in_any_language_and_spelling(header: str) -> None:
    found = find_header([["Title of the list"], [], [header, "Name"], ["a@b.c", "A"]], "roster")
    assert found is not None
    assert found.index == 2
    assert found.columns["email"] == (0, header.strip())


@pytest.mark.parametrize(
    ("word", "role"),
    [
        ("Teacher", "teacher"),
        ("вчитель", "teacher"),
        ("Учитель", "teacher"),
        ("enseignant", "teacher"),
        ("Professeur", "teacher"),
        ("معلم", "teacher"),
        ("مدرس", "teacher"),
        ("student", "student"),
        ("учень", "student"),
        ("студент", "student"),
        ("élève", "student"),
        ("eleve", "student"),
        ("étudiant", "student"),
        ("طالب", "student"),
        ("admin", "admin"),
        ("адміністратор", "admin"),
        ("directeur", "admin"),
        ("مدير", "admin"),
        ("staff", "staff"),
        ("персонал", "staff"),
        ("personnel", "staff"),
        ("موظف", "staff"),
        ("jardinier", None),
    ],
)
def test_role_words(word: str, role: str | None) -> None:
    assert map_role(f"  {word} ") == role


def test_key_ignores_case_punctuation_and_hamza() -> None:
    assert key("Ім'я") == key("ім’я") == key(" ІМЯ ")
    assert key("الإلكتروني") == key("الالكتروني")


def test_formula_cells_are_read_as_their_cached_values(schools: Engine, tmp_path: Path) -> None:
    # Written as Excel saves it: <f> plus the cached <v>. No spreadsheet engine runs here, so the
    # test proves we read the cached value, not that a formula is evaluated.
    path = write_xlsx_with_formulas(
        tmp_path / "formulas.xlsx",
        "0421",
        [
            ["Список"],
            ["Email", "Ім'я", "Прізвище"],
            [('=LOWER("ANNA@S.UA")', "anna@s.ua"), ('="Анна"', "Анна"), "Коваль"],
            ["b@s.ua", "Богдан", "Бойко"],
        ],
    )
    report = _roster(schools, path)
    assert report.committed, report.rejected
    assert _emails(schools) == {"anna@s.ua": "Анна", "b@s.ua": "Богдан"}


def test_merged_school_cells_apply_to_every_row_of_the_block(schools: Engine, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "merged.xlsx",
        {
            "all": [
                ["Школа", "Email", "ПІБ"],
                ["0421", "a@s.ua", "Коваль Анна"],
                [None, "b@s.ua", "Бойко Богдан"],
                ["0422", "c@s.ua", "Гнатюк Віра"],
            ]
        },
        merged={"all": ["A2:A3"]},
    )
    assert _roster(schools, path).committed
    with session_scope(schools) as s:
        assert (
            s.execute(
                select(func.count()).select_from(Membership).where(Membership.institution_id == 1)
            ).scalar_one()
            == 2
        )


def test_ods_workbook(schools: Engine, tmp_path: Path) -> None:
    path = write_ods(
        tmp_path / "r.ods", "0422", [["Nom", "Prénom", "Courriel"], ["Roux", "Léa", "lea@ecole.fr"]]
    )
    assert _roster(schools, path).committed
    assert _emails(schools) == {"lea@ecole.fr": "Léa"}


def test_openpyxl_serves_when_calamine_cannot(
    schools: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(path: Path, display: str) -> list[readers_module.Sheet]:
        raise RuntimeError("calamine failed")

    monkeypatch.setattr(readers_module, "_read_calamine", broken)
    path = write_xlsx(tmp_path / "r.xlsx", {"0421": [["Email", "Name"], ["a@s.ua", "Anna Koval"]]})
    assert _roster(schools, path).committed


def _valid_xlsx(tmp_path: Path) -> Path:
    rows = [["Email", "Name"]] + [[f"p{i}@s.ua", f"Person {i}"] for i in range(2000)]
    return write_xlsx(tmp_path / "valid.xlsx", {"0421": rows})


def test_not_a_spreadsheet(schools: Engine, tmp_path: Path) -> None:
    png = tmp_path / "roster.xlsx"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100))
    with pytest.raises(FileFormatError, match=r"roster.xlsx: not a spreadsheet"):
        _roster(schools, png)
    pdf = tmp_path / "roster.csv"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00\x00stream")
    with pytest.raises(FileFormatError, match=r"roster.csv: not a spreadsheet"):
        _roster(schools, pdf)
    other_zip = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(other_zip, "w") as zf:
        zf.writestr("photo.jpg", b"\xff\xd8")
    with pytest.raises(FileFormatError, match="neither a workbook"):
        _roster(schools, other_zip)
    assert _nothing_written(schools)


def test_encrypted_workbook(schools: Engine, tmp_path: Path) -> None:
    # The shape Excel gives a password-protected .xlsx: an OLE2 compound file whose directory
    # names the EncryptionInfo and EncryptedPackage streams (a synthetic file with that header;
    # no encrypting library is installed here).
    data = bytearray(4096)
    data[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    names = "EncryptionInfo".encode("utf-16-le") + b"\0\0" + "EncryptedPackage".encode("utf-16-le")
    data[1024 : 1024 + len(names)] = names
    path = tmp_path / "locked.xlsx"
    path.write_bytes(bytes(data))
    with pytest.raises(FileFormatError, match="password-protected"):
        _roster(schools, path)
    assert _nothing_written(schools)


def test_damaged_old_xls(schools: Engine, tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 600)
    with pytest.raises(FileFormatError, match=r"old.xls: cannot read the xls workbook"):
        _roster(schools, path)


def test_truncated_workbook(schools: Engine, tmp_path: Path) -> None:
    whole = _valid_xlsx(tmp_path).read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(FileFormatError, match="truncated or damaged"):
        _roster(schools, cut)
    assert _nothing_written(schools)


def test_zip_bomb_is_refused_before_inflating(schools: Engine, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 << 20))
    assert bomb.stat().st_size < 200_000
    with pytest.raises(FileFormatError, match="zip bomb"):
        _roster(schools, bomb)
    assert _nothing_written(schools)
