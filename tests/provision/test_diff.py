"""The pure core: rosters + policy against a Zoom snapshot -> the plan an operator would see."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from provision.core.actions import Addon, Group
from provision.core.diff import compute_plan
from provision.core.plan import ActionKind, Plan
from provision.core.policy import Policy
from provision.core.state import AccountSeats, Desired, DesiredPerson, Member, Observed, School, ZoomUser
from provision.errors import InputError, SeatLimitError, UnsafePlanError
from provision.store.policy_file import parse_policy

NOW = datetime(2026, 9, 20, 12, 0, tzinfo=UTC)
SNAP = datetime(2026, 9, 20, 11, 0, tzinfo=UTC)


def person(email: str, code: str = "0421", role: str = "teacher", **member: object) -> DesiredPerson:
    return DesiredPerson(
        email=email, given_name="G", family_name="F", memberships=(Member(code, role, **member),)
    )  # type: ignore[arg-type]


def desired(
    *people: DesiredPerson, schools: dict[str, int] | None = None, groups: dict[str, str] | None = None
) -> Desired:
    quotas = schools if schools is not None else {"0421": 40}
    return Desired(
        schools={
            code: School(
                code=code, name=f"School {code}", seats=seats, zoom_group_id=(groups or {}).get(code)
            )
            for code, seats in quotas.items()
        },
        people={p.email: p for p in people},
    )


def zuser(email: str, type_: int = 2, status: str = "active", **extra: object) -> ZoomUser:
    zoom_id = None if status == "pending" else f"id-{email}"
    return ZoomUser(email=email, zoom_id=zoom_id, type=type_, status=status, observed_at=SNAP, **extra)  # type: ignore[arg-type]


def observed(
    *users: ZoomUser,
    purchased: int = 100,
    managed: set[str] | None = None,
    pending: int = 0,
    addons: dict | None = None,
) -> Observed:
    used = sum(1 for u in users if u.holds_seat)
    return Observed(
        users={u.email: u for u in users},
        account=AccountSeats(
            purchased=purchased, used=used, pending=pending, observed_at=SNAP, addons=addons or {}
        ),
        managed=frozenset(managed if managed is not None else {u.email for u in users}),
    )


def kinds(plan: Plan, email: str) -> list[ActionKind]:
    return [a.kind for a in plan.actions if a.email == email]


def plan_of(d: Desired, o: Observed, policy: Policy | None = None, **kw: object) -> Plan:
    return compute_plan(d, o, policy or Policy(addons={}), now=NOW, **kw)  # type: ignore[arg-type]


def test_new_teacher_is_created_licensed_and_a_basic_one_is_upgraded() -> None:
    plan = plan_of(desired(person("new@x.ua"), person("basic@x.ua")), observed(zuser("basic@x.ua", 1)))
    create = next(a for a in plan.actions if a.email == "new@x.ua")
    assert create.kind is ActionKind.CREATE
    assert create.payload.type == 2
    assert create.payload.action == "create"
    assert kinds(plan, "basic@x.ua") == [ActionKind.LICENSE]
    assert plan.waiting == []


def test_school_quota_full_makes_the_rest_wait_with_the_reason() -> None:
    people = [person(f"t{i:02}@x.ua") for i in range(5)]
    users = [zuser(p.email, 1) for p in people]
    plan = plan_of(desired(*people, schools={"0421": 3}), observed(*users))
    licensed = sorted(a.email for a in plan.actions if a.kind is ActionKind.LICENSE)
    assert licensed == ["t00@x.ua", "t01@x.ua", "t02@x.ua"]  # no roster order recorded: stable by email
    assert [(w.email, w.reason, w.place) for w in plan.waiting] == [
        ("t03@x.ua", "waiting: 1st in line at 0421 (quota 3 of 3 in use)", 1),
        ("t04@x.ua", "waiting: 2nd in line at 0421 (quota 3 of 3 in use)", 2),
    ]
    assert plan.summary.schools["0421"].licensed_after == 3


def test_role_priority_fills_the_quota_before_email_order() -> None:
    people = [
        person("a-teacher@x.ua"),
        person("z-admin@x.ua", role="admin"),
        person("b-staff@x.ua", role="staff"),
    ]
    plan = plan_of(desired(*people, schools={"0421": 2}), observed(*(zuser(p.email, 1) for p in people)))
    assert sorted(a.email for a in plan.actions if a.kind is ActionKind.LICENSE) == [
        "a-teacher@x.ua",
        "z-admin@x.ua",
    ]
    assert [w.email for w in plan.waiting] == ["b-staff@x.ua"]


def test_account_seats_full_waits_across_schools_and_reuses_freed_seats() -> None:
    left = person("gone@x.ua", code="0001", active=False, left_at=NOW - timedelta(days=60))
    people = [
        left,
        person("a@x.ua", code="0001"),
        person("b@x.ua", code="0002", role="admin"),
        person("c@x.ua", code="0002"),
    ]
    users = [zuser("gone@x.ua", 2), zuser("a@x.ua", 1), zuser("b@x.ua", 1), zuser("c@x.ua", 1)]
    # one seat in use by the leaver, two purchased: the leaver's seat is reused, one more is free
    plan = plan_of(desired(*people, schools={"0001": 10, "0002": 10}), observed(*users, purchased=2))
    assert kinds(plan, "gone@x.ua") == [ActionKind.UNLICENSE]
    granted = sorted(a.email for a in plan.actions if a.kind is ActionKind.LICENSE)
    assert granted == ["a@x.ua", "b@x.ua"]  # admin first, then by email
    assert [(w.email, w.reason) for w in plan.waiting] == [
        (
            "c@x.ua",
            "waiting: 1st in line at 0002 "
            "(account seats 2 of 2 in use, 0002 has its proportional share of 1)",
        )
    ]
    order = [a.kind for a in plan.actions]
    assert order.index(ActionKind.UNLICENSE) < order.index(ActionKind.LICENSE)


@pytest.mark.parametrize("usage_holds_pending", [False, True])
def test_pending_invitations_hold_account_seats_once(usage_holds_pending: bool) -> None:
    # Three licensed invitations on another school's roster: they hold the three seats, whichever
    # reading of `usage` Zoom uses (the seats are counted from the users listed).
    invited = [zuser(f"inv{i}@x.ua", 2, "pending") for i in range(3)]
    account = observed(zuser("a@x.ua", 1), *invited, purchased=4, pending=3)
    if usage_holds_pending:
        account.account = replace(account.account, used=3)  # type: ignore[arg-type]
    plan = plan_of(desired(person("a@x.ua")), account)
    assert kinds(plan, "a@x.ua") == [ActionKind.LICENSE]  # the fourth seat, not counted away
    assert plan.summary.totals.seats_free_before == 1


def test_leaver_keeps_the_license_during_grace_then_is_downgraded() -> None:
    left_at = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    d = desired(person("gone@x.ua", active=False, left_at=left_at))
    o = observed(zuser("gone@x.ua", 2))
    policy = Policy(grace_days=14, addons={})
    early = compute_plan(d, o, policy, now=left_at + timedelta(days=13))
    assert early.actions == []
    assert early.summary.totals.in_grace == 1
    late = compute_plan(d, o, policy, now=left_at + timedelta(days=15))
    (action,) = late.actions
    assert action.kind is ActionKind.UNLICENSE
    assert action.reason == "left the roster of 0421 on 2026-09-01"
    assert action.before["type"] == 2
    assert action.after["type"] == 1


def test_revoke_deactivate_only_when_the_policy_says_so_and_addon_comes_off_first() -> None:
    d = desired(person("gone@x.ua", active=False, left_at=NOW - timedelta(days=30)))
    o = observed(zuser("gone@x.ua", 2, large_meeting=True, large_meeting_capacity=500))
    assert kinds(plan_of(d, o), "gone@x.ua") == [ActionKind.REMOVE_ADDON, ActionKind.UNLICENSE]
    plan = plan_of(d, o, Policy(revoke="deactivate", addons={}))
    assert kinds(plan, "gone@x.ua") == [ActionKind.REMOVE_ADDON, ActionKind.DEACTIVATE]
    assert all(a.kind is not ActionKind.UNLICENSE for a in plan.actions)


def test_revoke_unassign_takes_the_addon_then_unassigns_holders_only() -> None:
    gone = NOW - timedelta(days=30)
    d = desired(
        person("gone@x.ua", active=False, left_at=gone), person("basic@x.ua", active=False, left_at=gone)
    )
    o = observed(
        zuser("gone@x.ua", 2, large_meeting=True, large_meeting_capacity=500), zuser("basic@x.ua", 1)
    )
    plan = plan_of(d, o, Policy(revoke="unassign", addons={}))
    assert kinds(plan, "gone@x.ua") == [ActionKind.REMOVE_ADDON, ActionKind.UNASSIGN]
    assert kinds(plan, "basic@x.ua") == []
    (unassign,) = [a for a in plan.actions if a.kind is ActionKind.UNASSIGN]
    assert (unassign.before["type"], unassign.after["type"]) == (2, 4)


def test_protected_users_are_listed_and_never_touched() -> None:
    d = desired(person("boss@x.ua", active=False, left_at=NOW - timedelta(days=90)), person("new@x.ua"))
    o = observed(zuser("boss@x.ua", 2), zuser("owner@x.ua", 2, role_id="0"), zuser("new@x.ua", 1))
    # The policy file's spelling, normalized as the roster's emails are
    plan = plan_of(d, o, parse_policy('protected_emails = ["  BOSS@x.ua "]\n[addons]\n'))
    assert kinds(plan, "boss@x.ua") == []
    assert kinds(plan, "owner@x.ua") == []
    assert plan.protected == ["boss@x.ua", "owner@x.ua"]
    assert kinds(plan, "new@x.ua") == [ActionKind.LICENSE]
    assert "owner@x.ua" not in plan.unmanaged


def test_unknown_zoom_users_are_reported_not_changed_and_roster_users_are_adopted() -> None:
    d = desired(person("known@x.ua"))
    o = observed(zuser("known@x.ua", 1), zuser("stranger@x.ua", 2), managed=set())
    plan = plan_of(d, o)
    assert kinds(plan, "known@x.ua") == [ActionKind.LICENSE, ActionKind.ADOPT]
    assert kinds(plan, "stranger@x.ua") == []
    assert plan.unmanaged == ["stranger@x.ua"]


def test_unmanaged_leaver_is_not_revoked() -> None:
    d = desired(person("gone@x.ua", active=False, left_at=NOW - timedelta(days=90)))
    plan = plan_of(d, observed(zuser("gone@x.ua", 2), managed=set()))
    assert plan.actions == []
    assert plan.unmanaged == ["gone@x.ua"]


def test_deactivated_roster_user_is_reactivated_then_licensed() -> None:
    plan = plan_of(desired(person("back@x.ua")), observed(zuser("back@x.ua", 2, status="inactive")))
    assert kinds(plan, "back@x.ua") == [ActionKind.REACTIVATE, ActionKind.LICENSE]


def test_pending_invitation_gets_no_license_action() -> None:
    plan = plan_of(
        desired(person("inv@x.ua"), person("inv2@x.ua")),
        observed(zuser("inv@x.ua", 1, status="pending"), zuser("inv2@x.ua", 2, status="pending")),
    )
    assert plan.actions == []
    # The Basic invitee keeps a seat for when they accept (a PATCH of a pending user does nothing):
    # the license follows then, and they never read a different reason before and after.
    assert plan.waiting == []
    without = plan_of(desired(person("inv2@x.ua")), observed(zuser("inv2@x.ua", 2, status="pending")))
    assert plan.summary.totals.seats_free_after == without.summary.totals.seats_free_after - 1


def test_addons_follow_the_role_only_for_licensed_people() -> None:
    people = [person("adm1@x.ua", role="admin"), person("adm3@x.ua", role="admin"), person("t@x.ua")]
    users = [
        zuser("adm1@x.ua", 1),
        zuser("adm3@x.ua", 1),
        zuser("t@x.ua", 2, large_meeting=True, large_meeting_capacity=1000),
    ]
    plan = plan_of(desired(*people, schools={"0421": 2}), observed(*users), Policy(addons={"admin": 500}))
    assert kinds(plan, "adm1@x.ua") == [ActionKind.LICENSE, ActionKind.ADD_ADDON]
    assert next(a for a in plan.actions if a.kind is ActionKind.ADD_ADDON).payload == Addon(500)
    # the teacher loses the add-on (role gets none); adm2 waits (quota 2: adm + incumbent teacher)
    assert kinds(plan, "t@x.ua") == [ActionKind.REMOVE_ADDON]
    assert kinds(plan, "adm3@x.ua") == []
    assert [w.email for w in plan.waiting] == ["adm3@x.ua"]


def test_addon_pool_limits_grants() -> None:
    people = [person(f"a{i}@x.ua", role="admin") for i in range(3)]
    users = [zuser(p.email, 2) for p in people]
    addons = {"large_meeting_500": {"hosts": 2, "usage": 1}}
    plan = plan_of(desired(*people), observed(*users, addons=addons), Policy(addons={"admin": 500}))
    assert [a.email for a in plan.actions if a.kind is ActionKind.ADD_ADDON] == ["a0@x.ua"]
    assert plan.summary.totals.addons_short == {500: 2}


def test_group_membership_added_when_the_school_has_a_group() -> None:
    d = desired(person("t@x.ua"), person("u@x.ua"), groups={"0421": "grp1"})
    o = observed(zuser("t@x.ua", 2), zuser("u@x.ua", 2, group_ids=("grp1",)))
    plan = plan_of(d, o)
    (action,) = plan.actions
    assert action.kind is ActionKind.ADD_TO_GROUP
    assert action.email == "t@x.ua"
    assert action.payload == Group("grp1")
    assert plan_of(d, o, Policy(use_groups=False, addons={})).actions == []


def test_person_on_two_rosters_counts_once_at_the_primary_institution() -> None:
    both = DesiredPerson(
        email="two@x.ua",
        memberships=(Member("0001", "teacher", is_primary=False), Member("0002", "teacher", is_primary=True)),
    )
    plan = plan_of(desired(both, schools={"0001": 5, "0002": 5}), observed(zuser("two@x.ua", 1)))
    (action,) = plan.actions
    assert action.institution_code == "0002"
    assert plan.summary.schools["0002"].licensed_after == 1
    assert "0001" not in plan.summary.schools


def test_students_are_not_licensed_and_lose_a_license_given_by_hand() -> None:
    plan = plan_of(
        desired(person("s@x.ua", role="student"), person("s2@x.ua", role="student")),
        observed(zuser("s@x.ua", 2), zuser("s2@x.ua", 1)),
    )
    assert kinds(plan, "s@x.ua") == [ActionKind.UNLICENSE]
    assert plan.actions[0].reason == "role student at 0421 is not licensed by the policy"
    assert kinds(plan, "s2@x.ua") == []
    assert plan.unmanaged == []


def test_keep_holders_vs_strict_priority_when_an_admin_arrives_at_a_full_school() -> None:
    d = desired(person("t@x.ua"), person("adm1@x.ua", role="admin"), schools={"0421": 1})
    o = observed(zuser("t@x.ua", 2), zuser("adm1@x.ua", 1))
    calm = plan_of(d, o)
    assert calm.actions == []
    assert [w.email for w in calm.waiting] == ["adm1@x.ua"]
    strict = plan_of(d, o, Policy(keep_holders=False, addons={}))
    assert kinds(strict, "t@x.ua") == [ActionKind.UNLICENSE]
    assert kinds(strict, "adm1@x.ua") == [ActionKind.LICENSE]
    assert strict.waiting[0].email == "t@x.ua"
    assert strict.waiting[0].reason == "waiting: 1st in line at 0421 (quota 1 of 1 in use)"


@pytest.mark.parametrize(("create_waiting", "created"), [("none", None), ("basic", 1), ("unassigned", 4)])
def test_waiting_person_absent_from_zoom_is_created_by_create_waiting(
    create_waiting: str, created: int | None
) -> None:
    policy = Policy(addons={}, create_waiting=create_waiting)  # type: ignore[arg-type]
    plan = plan_of(desired(person("a@x.ua"), person("b@x.ua"), schools={"0421": 1}), observed(), policy)
    creates = {a.email: a.payload.type for a in plan.actions if a.kind is ActionKind.CREATE}
    assert creates == {"a@x.ua": 2, **({"b@x.ua": created} if created else {})}
    assert [w.email for w in plan.waiting] == ["b@x.ua"]


def test_basic_cap_is_never_passed_by_a_plan() -> None:
    # Cap 3, two Basic users already: one leaver's downgrade fits, the second is unassigned, and
    # of the two people waiting (create_waiting = "basic") none gets a Basic account.
    left = datetime(2026, 1, 1, tzinfo=UTC)
    people = [person(f"gone{i}@x.ua", active=False, left_at=left) for i in range(2)]
    people += [person(f"new{i}@x.ua") for i in range(5)]
    users = [zuser("gone0@x.ua", 2), zuser("gone1@x.ua", 2), zuser("o1@x.ua", 1), zuser("o2@x.ua", 1)]
    policy = Policy(addons={}, basic_cap=3, create_waiting="basic", grace_days=0)
    o = observed(*users, purchased=3, managed={"gone0@x.ua", "gone1@x.ua"})
    plan = plan_of(desired(*people, schools={"0421": 10}), o, policy)
    assert kinds(plan, "gone0@x.ua") == [ActionKind.UNLICENSE]
    assert kinds(plan, "gone1@x.ua") == [ActionKind.UNASSIGN]
    assert "Basic-user cap" in next(a.reason for a in plan.actions if a.email == "gone1@x.ua")
    creates = sorted((a.email, a.payload.type) for a in plan.actions if a.kind is ActionKind.CREATE)
    assert creates == [("new0@x.ua", 2), ("new1@x.ua", 2), ("new2@x.ua", 2)]
    assert (plan.summary.totals.basic_before, plan.summary.totals.basic_after) == (2, 3)
    reasons = {w.email: w.reason for w in plan.waiting}
    assert sorted(reasons) == ["new3@x.ua", "new4@x.ua"]
    assert all("Basic-user cap" in reason for reason in reasons.values())


def test_nonsense_seat_answer_refuses_instead_of_revoking() -> None:
    d = desired(person("a@x.ua"))
    with pytest.raises(SeatLimitError, match="0 seats purchased while 1 users hold a license"):
        plan_of(d, observed(zuser("a@x.ua", 2), purchased=0))
    with pytest.raises(InputError, match="run `provision sync` first"):
        plan_of(d, Observed())


def test_actions_are_sorted_in_apply_order() -> None:
    d = desired(
        person("gone@x.ua", active=False, left_at=NOW - timedelta(days=30)),
        person("adm1@x.ua", role="admin"),
        person("new@x.ua"),
        groups={"0421": "g"},
    )
    o = observed(
        zuser("gone@x.ua", 2, large_meeting=True, large_meeting_capacity=500, group_ids=("g",)),
        zuser("adm1@x.ua", 1, group_ids=("g",)),
    )
    plan = plan_of(d, o, Policy(addons={"admin": 500}))
    assert [a.kind for a in plan.actions] == [
        ActionKind.REMOVE_ADDON,
        ActionKind.UNLICENSE,
        ActionKind.CREATE,
        ActionKind.LICENSE,
        ActionKind.ADD_ADDON,
    ]


def test_school_scope_keeps_account_wide_allocation() -> None:
    people = [person("a@x.ua", code="0001", role="admin"), person("b@x.ua", code="0002")]
    o = observed(zuser("a@x.ua", 1), zuser("b@x.ua", 1), purchased=1)
    plan = plan_of(desired(*people, schools={"0001": 5, "0002": 5}), o, school="0002")
    assert plan.actions == []  # the single seat goes to the admin of 0001
    assert [w.reason for w in plan.waiting] == [
        "waiting: 1st in line at 0002 (account seats 1 of 1 in use, none left for a first seat at 0002)"
    ]
    with pytest.raises(InputError, match="unknown school '0003'"):
        plan_of(desired(*people, schools={"0001": 5, "0002": 5}), o, school="0003")


def test_fingerprint_changes_with_inputs_and_policy_but_not_with_time_of_planning() -> None:
    d = desired(person("a@x.ua"))
    o = observed(zuser("a@x.ua", 1))
    first = plan_of(d, o)
    assert (
        compute_plan(d, o, Policy(addons={}), now=NOW + timedelta(hours=1)).fingerprint == first.fingerprint
    )
    assert plan_of(d, observed(zuser("a@x.ua", 2))).fingerprint != first.fingerprint
    assert plan_of(d, o, parse_policy("grace_days = 3\n[addons]\n")).fingerprint != first.fingerprint


def test_account_share_threshold_counts_revocations_across_schools() -> None:
    from provision.core.safety import check_safety, safety_problems

    left = NOW - timedelta(days=60)
    people = [person(f"l{i}@x.ua", code=f"{i % 4:04d}", active=False, left_at=left) for i in range(8)]
    people += [person(f"s{i}@x.ua", code=f"{i % 4:04d}") for i in range(12)]
    o = observed(*(zuser(p.email, 2) for p in people), purchased=40)
    policy = Policy(max_revoke_share=0.25, revoke_share_min_count=5, addons={})
    plan = compute_plan(desired(*people, schools={f"{i:04d}": 10 for i in range(4)}), o, policy, now=NOW)
    assert safety_problems(plan, policy) == [
        "the plan revokes 8 of 20 managed licenses (40%), above max_revoke_share 25%"
    ]
    with pytest.raises(UnsafePlanError, match="rerun with --force to accept"):
        check_safety(plan, policy)
    check_safety(plan, policy, force=True)
    small = Policy(max_revoke_share=0.25, revoke_share_min_count=8, addons={})
    assert safety_problems(plan, small) == []  # 8 revocations: not above the minimum count
    # Before the tool manages anyone (students licensed by hand, adopted and downgraded by the
    # first plan), the measure is the account's licenses, and the refusal says so.
    students = [person(f"st{i}@x.ua", code=f"{i % 4:04d}", role="student") for i in range(8)]
    first_run = compute_plan(
        desired(*students, *people[8:], schools={f"{i:04d}": 10 for i in range(4)}),
        observed(*(zuser(p.email, 2) for p in [*students, *people[8:]]), purchased=40, managed=set()),
        policy,
        now=NOW,
    )
    assert safety_problems(first_run, policy) == [
        "the plan revokes 8 of 20 licenses on the account (40%), above max_revoke_share 25%"
    ]


def test_deactivate_policy_also_deactivates_a_basic_leaver_but_never_a_waiting_one() -> None:
    d = desired(
        person("gone@x.ua", active=False, left_at=NOW - timedelta(days=30)),
        person("a@x.ua"),
        person("b@x.ua"),
        schools={"0421": 1},
    )
    o = observed(zuser("gone@x.ua", 1), zuser("a@x.ua", 2), zuser("b@x.ua", 1))
    plan = plan_of(d, o, Policy(revoke="deactivate", addons={}))
    assert kinds(plan, "gone@x.ua") == [ActionKind.DEACTIVATE]
    assert kinds(plan, "b@x.ua") == []
    assert [w.email for w in plan.waiting] == ["b@x.ua"]


def test_license_taken_by_hand_is_given_back_before_the_waiting_list() -> None:
    # t@ held the only seat (we licensed them); someone downgraded t@ in the Zoom portal. The
    # freed seat goes back to t@, not to a@ who was waiting and comes first by email.
    d = desired(person("a@x.ua"), person("t@x.ua"))
    o = observed(zuser("a@x.ua", 1), zuser("t@x.ua", 1), purchased=1)
    o.licensed_by_us = frozenset({"t@x.ua"})
    plan = plan_of(d, o)
    assert kinds(plan, "t@x.ua") == [ActionKind.LICENSE]
    assert kinds(plan, "a@x.ua") == []
    assert [(w.email, w.reason) for w in plan.waiting] == [
        (
            "a@x.ua",
            "waiting: 1st in line at 0421 "
            "(account seats 1 of 1 in use, 0421 has its proportional share of 1)",
        )
    ]
    # Strict priority ignores who held what: email order decides.
    strict = plan_of(d, o, Policy(keep_holders=False, addons={}))
    assert kinds(strict, "a@x.ua") == [ActionKind.LICENSE]
    # Without our audit trail (never licensed by us) it is ordinary email order again.
    o.licensed_by_us = frozenset()
    assert kinds(plan_of(d, o), "a@x.ua") == [ActionKind.LICENSE]
