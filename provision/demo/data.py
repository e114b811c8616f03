"""The demo's sample: a dozen schools and their staff rosters, written as operators receive them.

Ukrainian, Arabic and French schools; a schools.xlsx with Ukrainian headers, an xlsx roster with a
title row above the header, a Windows CSV in cp1251 with ';', an Arabic roster with mistakes in it
(an impossible email, an unknown role, a school code nobody issued), and a second French roster
where people left and joined. Deterministic: the same files every run (seeded), so the demo's
numbers can be written in the README.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook


@dataclass(frozen=True)
class DemoSchool:
    code: str
    name: str
    region: str
    kind: str
    seats: int
    domain: str
    language: str  # uk | ar | fr


SCHOOLS: tuple[DemoSchool, ...] = (
    DemoSchool("0142", "Ліцей №142 м. Київ", "м. Київ", "ліцей", 8, "l142.kyiv.edu.ua", "uk"),
    DemoSchool("0421", "Гімназія №421 м. Львів", "Львівська", "гімназія", 6, "g421.lviv.edu.ua", "uk"),
    DemoSchool(
        "0077",
        "Одеська загальноосвітня школа I-III ступенів №77",
        "Одеська",
        "школа",
        7,
        "s77.od.edu.ua",
        "uk",
    ),
    DemoSchool("0315", "Харківський ліцей №315", "Харківська", "ліцей", 6, "l315.kh.edu.ua", "uk"),
    DemoSchool("0508", "Полтавська гімназія №8", "Полтавська", "гімназія", 5, "g8.pl.edu.ua", "uk"),
    DemoSchool("0612", "Черкаська загальноосвітня школа №12", "Черкаська", "школа", 5, "s12.ck.edu.ua", "uk"),
    DemoSchool("1101", "مدرسة الأمل الثانوية", "بيروت", "ثانوية", 6, "alamal.edu.lb", "ar"),
    DemoSchool("1102", "مدرسة النور الابتدائية", "صيدا", "ابتدائية", 5, "alnour.edu.lb", "ar"),
    DemoSchool("1103", "ثانوية ابن سينا", "طرابلس", "ثانوية", 6, "ibnsina.edu.lb", "ar"),
    DemoSchool("2201", "Lycée Victor Hugo", "Île-de-France", "lycée", 7, "lycee-hugo.fr", "fr"),
    DemoSchool(
        "2202", "Collège Jean Moulin", "Auvergne-Rhône-Alpes", "collège", 5, "college-moulin.fr", "fr"
    ),
    DemoSchool("2203", "École primaire Jules Ferry", "Occitanie", "école", 4, "ecole-ferry.fr", "fr"),
)

# (given name, family name, ascii given, ascii family)
_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "uk": (
        ("Олена", "Тарас", "Ірина", "Андрій", "Оксана", "Богдан", "Наталія", "Дмитро", "Світлана", "Юрій"),
        ("Коваленко", "Шевченко", "Бондаренко", "Ткаченко", "Мельник", "Кравчук", "Олійник", "Лисенко"),
        ("olena", "taras", "iryna", "andrii", "oksana", "bohdan", "nataliia", "dmytro", "svitlana", "yurii"),
        ("kovalenko", "shevchenko", "bondarenko", "tkachenko", "melnyk", "kravchuk", "oliinyk", "lysenko"),
    ),
    "ar": (
        ("أحمد", "فاطمة", "محمد", "ليلى", "يوسف", "مريم", "علي", "نور", "خالد", "سلمى"),
        ("الخليل", "حداد", "منصور", "عيسى", "نصر", "سعادة", "خوري", "عثمان"),
        ("ahmad", "fatima", "mohammad", "layla", "youssef", "mariam", "ali", "nour", "khaled", "salma"),
        ("khalil", "haddad", "mansour", "issa", "nasr", "saadeh", "khoury", "othman"),
    ),
    "fr": (
        ("Camille", "Hélène", "Théo", "Chloé", "Julien", "Amélie", "François", "Inès", "Mathieu", "Zoé"),
        ("Martin", "Lefèvre", "Dubois", "Moreau", "Garçon", "Rousseau", "Bélanger", "Fontaine"),
        ("camille", "helene", "theo", "chloe", "julien", "amelie", "francois", "ines", "mathieu", "zoe"),
        ("martin", "lefevre", "dubois", "moreau", "garcon", "rousseau", "belanger", "fontaine"),
    ),
}

# The role words each language's roster uses (the importer maps them to admin|teacher|staff|student).
_ROLE_WORDS = {
    "uk": {"admin": "директор", "teacher": "вчитель", "staff": "персонал", "student": "учень"},
    "ar": {"admin": "مدير", "teacher": "معلم", "staff": "موظف", "student": "طالب"},
    "fr": {"admin": "directeur", "teacher": "enseignant", "staff": "personnel", "student": "élève"},
}

_HEADERS = {
    "uk": ("Код закладу", "Прізвище", "Ім'я", "Електронна пошта", "Посада"),
    "ar": ("رمز المدرسة", "اسم العائلة", "الاسم الأول", "البريد الإلكتروني", "الوظيفة"),
    "fr": ("Code établissement", "Nom", "Prénom", "Courriel", "Rôle"),
}


@dataclass(frozen=True)
class DemoPerson:
    school: str
    given_name: str
    family_name: str
    email: str
    role: str  # canonical


@dataclass
class DemoFiles:
    """Where the sample was written, and what the demo should expect from it."""

    directory: Path
    schools: Path
    rosters: list[Path]  # clean rosters, imported as they are
    roster_with_errors: Path  # reported first, then imported with skip_invalid
    second_roster: Path  # people leave and join
    people: list[DemoPerson] = field(default_factory=list)
    errors_planted: int = 0
    left: list[str] = field(default_factory=list)  # emails the second roster drops
    joined: list[str] = field(default_factory=list)  # emails the second roster adds


def _people(school: DemoSchool, rng: random.Random, taken: set[str]) -> list[DemoPerson]:
    given, family, given_ascii, family_ascii = _NAMES[school.language]
    teachers = 4 + (int(school.code) % 4)  # 4..7: several schools have more staff than seats
    roles = ["admin"] + ["teacher"] * teachers + ["staff"] + ["student"] * 2
    people = []
    for role in roles:
        while True:
            g, f = rng.randrange(len(given)), rng.randrange(len(family))
            email = f"{given_ascii[g]}.{family_ascii[f]}@{school.domain}"
            if email not in taken:
                taken.add(email)
                break
        people.append(DemoPerson(school.code, given[g], family[f], email, role))
    return people


def _row(person: DemoPerson, language: str) -> list[str]:
    return [
        person.school,
        person.family_name,
        person.given_name,
        person.email,
        _ROLE_WORDS[language][person.role],
    ]


def _write_xlsx(
    path: Path, headers: Sequence[str], rows: Sequence[Sequence[object]], *, title: str | None
) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Roster" if title else "Schools"
    if title:
        # As schools send them: a title line, a blank line, then the header.
        ws.append([title])
        ws.append([])
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    for column in ws.columns:
        for cell in column:
            cell.number_format = "@"  # codes like 0142 stay text
    wb.save(path)


def write_sample(directory: Path, *, seed: int = 2026) -> DemoFiles:
    """Write the sample files under `directory` (created); returns their paths and expectations."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    taken: set[str] = set()
    by_school = {school.code: _people(school, rng, taken) for school in SCHOOLS}

    schools_path = directory / "schools.xlsx"
    _write_xlsx(
        schools_path,
        ("Код закладу", "Назва закладу", "Область", "Тип закладу", "Ліцензії"),
        [(s.code, s.name, s.region, s.kind, s.seats) for s in SCHOOLS],
        title=None,
    )

    def rows_of(language: str, codes: Sequence[str]) -> list[list[str]]:
        return [_row(p, language) for code in codes for p in by_school[code]]

    ua_xlsx = directory / "roster-ua.xlsx"
    _write_xlsx(
        ua_xlsx,
        _HEADERS["uk"],
        rows_of("uk", ("0142", "0421", "0077", "0315")),
        title="Список педагогічних працівників станом на 01.09.2026",
    )

    # Excel on Windows "CSV (роздільник - крапка з комою)": cp1251 and ';'.
    ua_csv = directory / "roster-ua-cp1251.csv"
    with ua_csv.open("w", encoding="cp1251", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(_HEADERS["uk"])
        writer.writerows(rows_of("uk", ("0508", "0612")))

    fr_codes = ("2201", "2202", "2203")
    fr_xlsx = directory / "roster-fr.xlsx"
    _write_xlsx(fr_xlsx, _HEADERS["fr"], rows_of("fr", fr_codes), title="Liste du personnel, rentrée 2026")

    # The Arabic roster has three mistakes a school secretary makes.
    ar_rows = rows_of("ar", ("1101", "1102", "1103"))
    ar_rows.append(["1101", "منصور", "سلمى", "salma.mansour@@alamal.edu.lb", "معلم"])
    ar_rows.append(["1102", "حداد", "يوسف", "youssef.haddad2@alnour.edu.lb", "حارس المبنى"])
    ar_rows.append(["1199", "خوري", "علي", "ali.khoury@unknown-school.edu.lb", "معلم"])
    ar_xlsx = directory / "roster-ar.xlsx"
    _write_xlsx(ar_xlsx, _HEADERS["ar"], ar_rows, title="قائمة الموظفين للعام الدراسي 2026-2027")

    # September: two teachers left the Lycée, three people joined the French schools.
    lycee = by_school["2201"]
    leaving = [p for p in lycee if p.role == "teacher"][:2]
    joining = []
    given, family, given_ascii, family_ascii = _NAMES["fr"]
    for i, (code, role) in enumerate((("2201", "teacher"), ("2202", "teacher"), ("2203", "admin"))):
        g, f = (i * 3 + 1) % len(given), (i * 5 + 2) % len(family)
        email = (
            f"{given_ascii[g]}.{family_ascii[f]}.{i + 2}@{next(s.domain for s in SCHOOLS if s.code == code)}"
        )
        joining.append(DemoPerson(code, given[g], family[f], email, role))
    second = [p for code in fr_codes for p in by_school[code] if p not in leaving] + joining
    fr2_xlsx = directory / "roster-fr-2026-10.xlsx"
    _write_xlsx(
        fr2_xlsx,
        _HEADERS["fr"],
        [_row(p, "fr") for p in second],
        title="Liste du personnel, mise à jour d'octobre",
    )

    return DemoFiles(
        directory=directory,
        schools=schools_path,
        rosters=[ua_xlsx, ua_csv, fr_xlsx],
        roster_with_errors=ar_xlsx,
        second_roster=fr2_xlsx,
        people=[p for people in by_school.values() for p in people],
        errors_planted=3,
        left=[p.email for p in leaving],
        joined=[p.email for p in joining],
    )
