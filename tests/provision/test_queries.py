"""The per-school and per-person queries answer the school's phone call from our records."""

from __future__ import annotations

import pytest

from models import session_scope
from provision.errors import InputError
from provision.reports import queries
from tests.provision.ops_data import INJECTION, NOW, make_db, seed


@pytest.fixture
def engine(database_url: str):
    engine = make_db(database_url)
    seed(engine)
    return engine


def test_schools_counts_seats_at_the_primary_school_only(engine) -> None:
    with session_scope(engine) as s:
        report = queries.schools(s)
    by_code = {r.code: r for r in report.schools}
    assert list(by_code) == ["0421", "0690", "0962"]
    kyiv, lyon, amman = by_code["0421"], by_code["0690"], by_code["0962"]
    # olena is listed by 0421 (primary) and 0690: her one seat counts at 0421 only
    assert (kyiv.quota, kyiv.licensed, kyiv.pending, kyiv.waiting) == (2, 3, 0, 1)
    assert kyiv.members == 3  # the teacher who left is not a member any more
    assert kyiv.utilization == 1.5  # over quota is shown, not hidden
    assert (lyon.licensed, lyon.pending, lyon.waiting, lyon.members) == (1, 1, 0, 4)
    assert (amman.licensed, amman.waiting, amman.utilization) == (0, 1, 0.0)
    assert report.totals == {
        "schools": 3,
        "quota": 6,
        "members": 8,
        "licensed": 4,
        "pending": 1,
        "waiting": 2,
        "utilization": round(4 / 6, 4),
    }
    assert report.plan is not None
    assert report.plan.fingerprint == "f" * 64
    assert report.account is not None
    assert report.account["seats"]["purchased"] == 10
    seats = report.to_data()["seats"]
    assert (seats["purchased"], seats["used"], seats["pending"], seats["free"]) == (10, 5, 1, 4)


def test_schools_filters_by_region_ignoring_case_and_names_unknown_regions(engine) -> None:
    with session_scope(engine) as s:
        report = queries.schools(s, region="lyon")
        assert [r.code for r in report.schools] == ["0690"]
        assert report.totals["schools"] == 1
        with pytest.raises(InputError, match="unknown region 'Lyons'; closest: Lyon"):
            queries.schools(s, region="Lyons")


def test_without_a_plan_waiting_is_unknown_not_zero(database_url: str) -> None:
    engine = make_db(database_url)
    seed(engine, with_plan=False)
    with session_scope(engine) as s:
        report = queries.schools(s)
        member = {m.email: m for m in queries.school(s, "0421").members}["wait@school.ua"]
        who = queries.person(s, "wait@school.ua")
    assert all(r.waiting is None for r in report.schools)
    assert report.totals["waiting"] is None
    assert report.note is not None
    assert queries.NO_PLAN in report.note
    assert member.waiting is None
    assert who.waiting is None
    assert who.note is not None
    assert queries.NO_PLAN in who.note


def test_school_lists_each_member_with_state_addons_and_why_waiting(engine) -> None:
    with session_scope(engine) as s:
        report = queries.school(s, "0421")
        lyon = queries.school(s, "0690")
    members = {m.email: m for m in report.members}
    assert set(members) == {"olena@school.ua", "taras@school.ua", "wait@school.ua", "left@school.ua"}
    olena = members["olena@school.ua"]
    assert (olena.role, olena.primary, olena.license, olena.addons) == (
        "teacher",
        True,
        "licensed",
        "large meeting 500",
    )
    assert olena.last_login is not None
    assert olena.last_login.date() == (NOW.date().replace(day=14))
    wait = members["wait@school.ua"]
    assert wait.license == "not on Zoom"
    assert wait.waiting == "waiting: school quota 2 of 2 in use"
    left = members["left@school.ua"]
    assert left.active is False
    assert left.left_at is not None
    assert left.license == "licensed"
    assert report.school.licensed == 3
    assert report.school.waiting == 1

    lyon_members = {m.email: m for m in lyon.members}
    pending = lyon_members["new@ecole.fr"]
    assert pending.license == "pending"
    assert pending.pending_since is not None
    assert (NOW - pending.pending_since).days == 9
    assert lyon_members["olena@school.ua"].primary is False
    assert lyon_members["marie@ecole.fr"].license == "basic"
    assert lyon_members["evil@ecole.fr"].given_name == INJECTION
    # the inactive (deactivated) user of 0962
    with session_scope(engine) as s:
        amman = queries.school(s, "0962")
    assert amman.members[0].license == "inactive"
    assert amman.members[0].waiting == "waiting: account seats 10 of 10 in use"


def test_school_code_case_is_forgiven_and_unknown_code_suggests_neighbours(engine) -> None:
    with session_scope(engine) as s:
        assert queries.school_code(s, " 0421 ") == "0421"
        with pytest.raises(InputError) as err:
            queries.school(s, "0422")
        assert "unknown school '0422'" in str(err.value)
        assert "0421 (Ліцей № 1 імені Лесі Українки)" in str(err.value)
        with pytest.raises(InputError, match=r"closest: 0690 \(École Voltaire\)"):
            queries.school(s, "ecole voltaire")
        with pytest.raises(InputError, match="no close match"):
            queries.school(s, "zzzzzzzzzz")


def test_person_normalizes_the_email_and_shows_records_snapshot_and_history(engine) -> None:
    with session_scope(engine) as s:
        report = queries.person(s, "  OLENA@School.UA ")
    assert report.email == "olena@school.ua"
    assert report.person is not None
    assert report.person["family_name"] == "Коваль"
    assert [(m["institution_code"], m["primary"]) for m in report.memberships] == [
        ("0421", True),
        ("0690", False),
    ]
    assert report.license == "licensed"
    assert report.snapshot is not None
    assert report.snapshot["addons"] == "large meeting 500"
    assert [e["action"] for e in report.history] == ["license", "add_addon"]
    assert report.history[0]["at"] < report.history[1]["at"]
    assert report.history[0]["after"] == {"type": 2}


def test_person_on_zoom_without_roster_and_person_waiting(engine) -> None:
    with session_scope(engine) as s:
        stray = queries.person(s, "stray@elsewhere.org")
        wait = queries.person(s, "wait@school.ua")
    assert stray.person is None
    assert stray.memberships == []
    assert stray.license == "licensed"
    assert wait.license == "not on Zoom"
    assert wait.snapshot is None
    assert wait.waiting == {
        "email": "wait@school.ua",
        "institution_code": "0421",
        "role": "teacher",
        "reason": "waiting: school quota 2 of 2 in use",
        "place": None,
        "counted_at": None,
    }


def test_unknown_person_suggests_the_closest_known_emails(engine) -> None:
    with session_scope(engine) as s:
        with pytest.raises(InputError) as err:
            queries.person(s, "olena@school.u")
        assert "closest: olena@school.ua" in str(err.value)
        with pytest.raises(InputError, match=r"closest: marie@ecole\.fr"):
            queries.person(s, "Mari@ecole.fr")
        with pytest.raises(InputError, match="no close match"):
            queries.person(s, "qqq@zzz.example")


def test_json_shapes_are_plain_data(engine) -> None:
    import json

    with session_scope(engine) as s:
        for data in (
            queries.schools(s).to_data(),
            queries.school(s, "0690").to_data(),
            queries.person(s, "evil@ecole.fr").to_data(),
        ):
            assert json.loads(json.dumps(data, default=str))
