"""Column aliases per language and the search for the header row below any title rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from importers.normalize import key

HEADER_SCAN_ROWS = 30

ROSTER_ALIASES: dict[str, tuple[str, ...]] = {
    "email": (
        "email",
        "e-mail",
        "mail",
        "email address",
        "e-mail address",
        "work email",
        "school email",
        "електронна пошта",
        "ел. пошта",
        "ел пошта",
        "пошта",
        "адреса електронної пошти",
        "email адреса",
        "електронна адреса",
        "электронная почта",
        "эл. почта",
        "почта",
        "адрес электронной почты",
        "courriel",
        "adresse courriel",
        "adresse e-mail",
        "adresse électronique",
        "mél",
        "e-mél",
        "البريد الإلكتروني",
        "البريد الالكتروني",
        "بريد إلكتروني",
        "الإيميل",
        "الايميل",
        "البريد",
    ),
    "given_name": (
        "first name",
        "given name",
        "forename",
        "givenname",
        "firstname",
        "ім'я",
        "имя",
        "prénom",
        "prenom",
        "الاسم الأول",
        "الإسم الأول",
        "الاسم",
    ),
    "family_name": (
        "last name",
        "surname",
        "family name",
        "lastname",
        "familyname",
        "прізвище",
        "фамилия",
        "nom",
        "nom de famille",
        "اسم العائلة",
        "اللقب",
        "الكنية",
    ),
    "full_name": (
        "full name",
        "name",
        "display name",
        "піб",
        "п.і.б.",
        "прізвище ім'я по батькові",
        "прізвище та ім'я",
        "фио",
        "ф.и.о.",
        "фамилия имя отчество",
        "nom complet",
        "nom et prénom",
        "الاسم الكامل",
        "الاسم الثلاثي",
    ),
    "role": (
        "role",
        "position",
        "job title",
        "type",
        "роль",
        "посада",
        "должность",
        "rôle",
        "fonction",
        "poste",
        "الدور",
        "الوظيفة",
        "الصفة",
        "المسمى الوظيفي",
    ),
    "school": (
        "school",
        "school code",
        "institution",
        "institution code",
        "school id",
        "org",
        "org code",
        "школа",
        "код школи",
        "заклад",
        "код закладу",
        "навчальний заклад",
        "код школы",
        "учреждение",
        "код учреждения",
        "école",
        "code école",
        "établissement",
        "code établissement",
        "code de l'établissement",
        "المدرسة",
        "رمز المدرسة",
        "كود المدرسة",
        "المؤسسة",
        "رمز المؤسسة",
    ),
    "primary": (
        "primary",
        "is primary",
        "isprimary",
        "primary school",
        "основне",
        "основна",
        "основне місце роботи",
        "основное",
        "основное место работы",
        "principal",
        "principale",
        "établissement principal",
        "رئيسي",
        "أساسي",
        "المدرسة الرئيسية",
    ),
    # The school's own order of who gets a seat first (1 first); without it, the rows' order.
    "priority": (
        "priority",
        "license priority",
        "пріоритет",
        "черговість",
        "черга",
        "приоритет",
        "очередность",
        "очерёдность",
        "priorité",
        "ordre de priorité",
        "الأولوية",
        "الاولوية",
        "الترتيب",
    ),
}

SCHOOL_ALIASES: dict[str, tuple[str, ...]] = {
    "code": (
        "code",
        "school code",
        "institution code",
        "id",
        "school id",
        "sourcedId",
        "org sourcedId",
        "orgSourcedId",
        "identifier",
        "код",
        "код школи",
        "код закладу",
        "код школы",
        "код учреждения",
        "code école",
        "code établissement",
        "code de l'établissement",
        "identifiant",
        "الرمز",
        "رمز",
        "رمز المدرسة",
        "كود",
        "كود المدرسة",
        "رمز المؤسسة",
    ),
    "name": (
        "name",
        "school name",
        "institution name",
        "school",
        "institution",
        "назва",
        "назва закладу",
        "назва школи",
        "заклад",
        "название",
        "название школы",
        "учреждение",
        "nom",
        "nom de l'établissement",
        "établissement",
        "école",
        "الاسم",
        "اسم المدرسة",
        "المدرسة",
        "اسم المؤسسة",
        "المؤسسة",
    ),
    "region": (
        "region",
        "oblast",
        "province",
        "district",
        "область",
        "регіон",
        "район",
        "регион",
        "région",
        "département",
        "wilaya",
        "المنطقة",
        "المحافظة",
        "الولاية",
        "الجهة",
    ),
    "kind": (
        "kind",
        "type",
        "school type",
        "тип",
        "вид",
        "тип закладу",
        "тип учреждения",
        "type d'établissement",
        "النوع",
        "نوع المؤسسة",
        "نوع المدرسة",
    ),
    "seats": (
        "seats",
        "licenses",
        "licences",
        "license quota",
        "quota",
        "seat quota",
        "licenses allocated",
        "ліцензії",
        "кількість ліцензій",
        "місця",
        "квота",
        "лицензии",
        "количество лицензий",
        "places",
        "nombre de licences",
        "licences attribuées",
        "المقاعد",
        "التراخيص",
        "عدد التراخيص",
        "عدد المقاعد",
        "الحصة",
    ),
    # The Zoom account of the school (issue 17): a sub-account id or an alias; empty = the main one.
    "account": (
        "account",
        "zoom account",
        "account id",
        "zoom account id",
        "sub-account",
        "subaccount",
        "обліковий запис",
        "обліковий запис zoom",
        "акаунт",
        "акаунт zoom",
        "аккаунт",
        "аккаунт zoom",
        "учетная запись",
        "учётная запись",
        "compte",
        "compte zoom",
        "sous-compte",
        "الحساب",
        "حساب zoom",
        "الحساب الفرعي",
    ),
}


def _by_key(aliases: Mapping[str, Sequence[str]]) -> dict[str, str]:
    return {key(alias): field for field, words in aliases.items() for alias in words}


_ROSTER_KEYS = _by_key(ROSTER_ALIASES)
_SCHOOL_KEYS = _by_key(SCHOOL_ALIASES)


@dataclass(frozen=True)
class Header:
    """The header row found: its 0-based index, and field -> (column index, header as written)."""

    index: int
    columns: dict[str, tuple[int, str]]
    written: list[str]


def _match(row: Sequence[str], lookup: Mapping[str, str]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for col, cell in enumerate(row):
        field = lookup.get(key(cell)) if cell else None
        if field is not None and field not in found:  # the leftmost column of a field wins
            found[field] = (col, cell.strip())
    return found


def find_header(rows: Sequence[Sequence[str]], kind: str) -> Header | None:
    """The row among the first HEADER_SCAN_ROWS naming the most known columns (title rows,
    blank rows and notes above it are skipped); None when no row names two of them."""
    lookup = _ROSTER_KEYS if kind == "roster" else _SCHOOL_KEYS
    best: Header | None = None
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        found = _match(row, lookup)
        if len(found) >= 2 and (best is None or len(found) > len(best.columns)):
            best = Header(index, found, [c.strip() for c in row if c.strip()])
    return best


def first_non_empty(rows: Sequence[Sequence[str]]) -> list[str]:
    """The first row with text, as written: the "columns found" when no header is recognized."""
    for row in rows[:HEADER_SCAN_ROWS]:
        cells = [c.strip() for c in row if c.strip()]
        if len(cells) >= 2:
            return cells
    for row in rows[:HEADER_SCAN_ROWS]:
        cells = [c.strip() for c in row if c.strip()]
        if cells:
            return cells
    return []
