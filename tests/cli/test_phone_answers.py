"""Answers on the phone, and role words as rosters write them: through the CLI on real files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from tests.cli.ministry import Ministry
from tests.importers import packages as P

HEADER = ["Email", "Прізвище", "Ім'я", "Посада"]


def phonebook(tmp_path: Path, sqlite_url: str) -> Ministry:
    ministry = Ministry(tmp_path, sqlite_url, seats=10, policy='create_action = "autoCreate"\n')
    ministry.schools(
        [["0421", "Ліцей №1", "Київська", "ліцей", 5], ["AMM-3", "مدرسة عمان", "عمان", "مدرسة", 5]]
    )
    lyceum = [
        HEADER,
        ["olena.k@school.ua", "Коваленко", "Олена", "вчитель"],
        ["petro.k@school.ua", "Коваленко", "Петро", "вчитель"],
        ["maryana@school.ua", "Бойко", "Марʼяна", "вчителька"],  # U+02BC, as Ukrainian keyboards type it
        ["helene@school.ua", "Dupont", "Hélène", "вчителька"],
        ["iryna@school.ua", "Бондар", "Ірина", "садівник"],  # rejected: no such role
    ]
    amman = [["البريد الإلكتروني", "الاسم الكامل", "الوظيفة"], ["m.ahmad@school.jo", "الأحمد محمد", "معلم"]]
    result = ministry.roster("r.xlsx", {"0421": lyceum, "AMM-3": amman}, "--skip-invalid")
    assert result.exit_code == 0, result.output
    ministry.sync_plan_apply()
    return ministry


def test_person_is_found_by_name_in_three_scripts_as_typed(sqlite_url: str, tmp_path: Path) -> None:
    ministry = phonebook(tmp_path, sqlite_url)
    for typed, email in [
        ("КОВАЛЕНКО олена", "olena.k@school.ua"),  # Cyrillic, any case, any order
        ("олена коваленко", "olena.k@school.ua"),
        ("Kovalenko Olena", "olena.k@school.ua"),  # Latin, as a foreign operator types it
        ("мар'яна", "maryana@school.ua"),  # ASCII apostrophe for ʼ
        ("Мар’яна Бойко", "maryana@school.ua"),  # typographic apostrophe
        ("helene dupont", "helene@school.ua"),  # no accent
        ("الاحمد", "m.ahmad@school.jo"),  # Arabic without the hamza
        ("محمد", "m.ahmad@school.jo"),
    ]:
        data = ministry.data("person", typed)
        assert data.get("email") == email, (typed, data)
        assert data["answer"] == "Licensed", typed

    several = ministry.data("person", "коваленко")
    assert [(m["email"], m["schools"]) for m in several["matches"]] == [
        ("olena.k@school.ua", ["0421"]),
        ("petro.k@school.ua", ["0421"]),
    ]
    shown = ministry.ok("person", "Коваленко").stdout
    assert "2 people match" in shown
    assert "olena.k@school.ua" in shown

    unknown = ministry.run("person", "Шевченко")
    assert unknown.exit_code == 2
    assert "nobody named 'Шевченко'" in " ".join(unknown.stderr.split())


def test_person_rejected_at_import_is_found_with_file_row_and_reason(sqlite_url: str, tmp_path: Path) -> None:
    ministry = phonebook(tmp_path, sqlite_url)
    today = datetime.now(UTC).date().isoformat()
    by_name = ministry.data("person", "бондар ірина")
    assert by_name["matches"] == []
    [row] = by_name["rejected"]
    assert (row["file"], row["sheet"], row["row"], row["column"]) == ("r.xlsx", "0421", 6, "Посада")
    assert row["reason"].startswith("unknown role (")
    assert row["email"] == "iryna@school.ua"
    by_email = ministry.run("person", "IRYNA@school.ua")
    said = " ".join(by_email.stdout.split())
    assert by_email.exit_code == 0
    assert f"rejected at import on {today}: r.xlsx, sheet 0421, row 6, column Посада: unknown role" in said


def test_role_words_of_real_rosters_and_the_policy_roles_table(sqlite_url: str, tmp_path: Path) -> None:
    ministry = Ministry(tmp_path, sqlite_url, seats=20)
    ministry.schools([["0421", "Ліцей №1", "Київська", "ліцей", 20]])
    words = {
        "vm@s.ua": ("вчитель-методист", "teacher"),
        "zavuch@s.ua": ("Завуч", "admin"),
        "vyh@s.ua": ("вихователь", "teacher"),
        "eng@s.ua": ("Вчитель англійської мови", "teacher"),
        "zast@s.ua": ("Заступник директора з навчальної роботи", "admin"),
        "cpe@s.ua": ("CPE", "staff"),
        "prof@s.ua": ("Professeur des écoles", "teacher"),
        "asst@s.ua": ("أستاذ مساعد", "teacher"),
        "dean@s.ua": ("عميد", "admin"),
        "vosp@s.ua": ("Воспитатель", "teacher"),
        "lib@s.ua": ("Librarian", "staff"),
    }
    rows = [HEADER, *([email, "Прізвище", "Ім'я", word] for email, (word, _) in words.items())]
    result = ministry.roster("roles.xlsx", {"0421": rows}, "--json")
    assert result.exit_code == 0, result.output
    members = {m["email"]: m["role"] for m in ministry.data("school", "0421")["members"]}
    assert members == {email: role for email, (_, role) in words.items()}

    # A word nobody taught us: the reject lists the accepted words and the policy key that adds it.
    new = [
        HEADER,
        ["logo@s.ua", "Логопед", "Ольга", "вчитель-логопед"],
        ["gard@s.ua", "Садівник", "Іван", "садівник"],
    ]
    refused = ministry.roster("new.xlsx", {"0421": new}, "--json", "--merge")
    assert refused.exit_code == 2
    rejected = json.loads(refused.stdout)["data"]["rejected"]
    assert [r["value"] for r in rejected] == ["садівник"]  # вчитель-логопед: its main word is вчитель
    detail = rejected[0]["detail"]
    assert "admin: адміністратор" in detail
    assert "завуч" in detail
    assert '[roles] table, e.g. "садівник" = "teacher"' in detail

    ministry.policy.write_text('[roles]\n"садівник" = "staff"\n', encoding="utf-8")
    accepted = ministry.roster("new.xlsx", {"0421": new}, "--merge")
    assert accepted.exit_code == 0, accepted.output
    members = {m["email"]: m["role"] for m in ministry.data("school", "0421")["members"]}
    assert (members["gard@s.ua"], members["logo@s.ua"]) == ("staff", "teacher")
    # The policy's word overrides a built-in one too.
    ministry.policy.write_text('[roles]\n"вихователь" = "staff"\n', encoding="utf-8")
    again = ministry.roster(
        "again.xlsx", {"0421": [HEADER, ["vyh@s.ua", "Прізвище", "Ім'я", "вихователь"]]}, "--merge"
    )
    assert again.exit_code == 0, again.output
    members = {m["email"]: m["role"] for m in ministry.data("school", "0421")["members"]}
    assert members["vyh@s.ua"] == "staff"


def test_the_policy_roles_table_overrides_oneroster_role_words(sqlite_url: str, tmp_path: Path) -> None:
    def petro(policy: str, folder: str) -> str:
        (tmp_path / folder).mkdir()
        ministry = Ministry(
            tmp_path / folder, sqlite_url.replace("provision.db", f"{folder}.db"), seats=20, policy=policy
        )
        package = P.oneroster_12(tmp_path / folder / "export.zip", as_zip=True)
        ministry.ok("import", "schools", str(package))
        ministry.ok("import", "roster", str(package))
        return {m["email"]: m["role"] for m in ministry.data("school", "0421")["members"]}[
            "petro@school.example"
        ]

    assert petro("email_from_username = true\n", "default") == "staff"  # OneRoster's "aide"
    assert petro('email_from_username = true\n[roles]\naide = "teacher"\n', "policy") == "teacher"
