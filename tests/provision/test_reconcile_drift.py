"""The pure drift computation: desired + observed + what our audit log says we set -> drift by kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from provision.core.drift import (
    CHANGED_BY_HAND,
    ENTITLED_NOT_LICENSED,
    INACTIVE,
    LICENSED_NOT_ENTITLED,
    OVER_QUOTA,
    PENDING_STALE,
    UNMANAGED_LICENSED,
    compute_drift,
    fold_audit,
)
from provision.core.policy import Policy
from provision.core.state import AccountSeats, Desired, DesiredPerson, Member, Observed, School, ZoomUser

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
POLICY = Policy()


def person(
    email: str, code: str = "0421", role: str = "teacher", *, left_days: int | None = None
) -> DesiredPerson:
    left_at = NOW - timedelta(days=left_days) if left_days is not None else None
    return DesiredPerson(
        email=email,
        given_name=email.split("@")[0],
        memberships=(Member(code, role, True, left_at is None, left_at),),
    )


def user(email: str, type: int = 2, status: str = "active", **kw: object) -> ZoomUser:
    zoom_id = None if status == "pending" else f"id-{email}"
    return ZoomUser(email=email, zoom_id=zoom_id, type=type, status=status, observed_at=NOW, **kw)  # type: ignore[arg-type]


def world(
    people: list[DesiredPerson], users: list[ZoomUser], *, managed: set[str] | None = None, quota: int = 10
) -> tuple[Desired, Observed]:
    desired = Desired(
        schools={"0421": School("0421", "Ліцей №142 м. Київ", quota)}, people={p.email: p for p in people}
    )
    licensed = sum(1 for u in users if u.holds_seat)
    observed = Observed(
        users={u.email: u for u in users},
        account=AccountSeats(purchased=50, used=licensed, observed_at=NOW),
        managed=frozenset(managed if managed is not None else {u.email for u in users}),
    )
    return desired, observed


def audit_of(*events: tuple[str, datetime, str, str, dict[str, object]]) -> dict:
    return fold_audit((email, at, actor, action, "0421", after) for email, at, actor, action, after in events)


def by_email(items: list[dict]) -> dict[str, dict]:
    return {item["email"]: item for item in items}


def test_zoom_as_we_left_it_is_clean() -> None:
    desired, observed = world([person("a@s.ua")], [user("a@s.ua")])
    audit = audit_of(("a@s.ua", NOW - timedelta(days=1), "ops", "license", {"type": 2, "status": "active"}))

    drift = compute_drift(desired, observed, POLICY, audit=audit, now=NOW)

    assert drift.clean
    assert all(count == 0 for count in drift.counts.values())
    assert drift.account["purchased"] == 50
    assert drift.account["used"] == 1


def test_a_leaver_past_grace_still_licensed_is_a_wasted_seat_but_not_within_grace() -> None:
    people = [person("gone@s.ua", left_days=60), person("recent@s.ua", left_days=3), person("t@s.ua")]
    desired, observed = world(people, [user("gone@s.ua"), user("recent@s.ua"), user("t@s.ua")])

    drift = compute_drift(desired, observed, POLICY, audit={}, now=NOW)

    wasted = by_email(drift.kinds[LICENSED_NOT_ENTITLED])
    assert set(wasted) == {"gone@s.ua"}
    assert wasted["gone@s.ua"]["fix"] == "unlicense"
    assert "left the roster of 0421" in wasted["gone@s.ua"]["detail"]
    assert not drift.clean


def test_entitled_people_without_a_license_or_account_are_reported_with_the_fix() -> None:
    desired, observed = world([person("basic@s.ua"), person("new@s.ua")], [user("basic@s.ua", type=1)])

    drift = compute_drift(desired, observed, POLICY, audit={}, now=NOW)

    missing = by_email(drift.kinds[ENTITLED_NOT_LICENSED])
    assert missing["basic@s.ua"]["fix"] == "license"
    assert missing["new@s.ua"]["fix"] == "create"


def test_a_type_changed_by_hand_names_who_set_it_when_and_what_it_is_now() -> None:
    set_at = NOW - timedelta(days=5)
    desired, observed = world([person("a@s.ua")], [user("a@s.ua", type=1)])
    audit = audit_of(
        ("a@s.ua", set_at - timedelta(days=1), "ops", "create", {"type": 2, "status": "pending"}),
        ("a@s.ua", set_at, "nightly", "license", {"type": 2, "status": "active"}),
    )

    drift = compute_drift(desired, observed, POLICY, audit=audit, now=NOW)

    [item] = drift.kinds[CHANGED_BY_HAND]
    assert item["email"] == "a@s.ua"
    assert item["field"] == "type"
    assert item["expected"] == "2 (Licensed)"
    assert item["actual"] == "1 (Basic)"
    assert item["set_by"] == "nightly"
    assert item["set_action"] == "license"
    assert item["set_at"] == set_at.isoformat(timespec="seconds")
    # The same person is also entitled and unlicensed: --fix licenses them again.
    assert by_email(drift.kinds[ENTITLED_NOT_LICENSED])["a@s.ua"]["fix"] == "license"


def test_an_accepted_invitation_is_not_a_change_by_hand() -> None:
    desired, observed = world([person("a@s.ua")], [user("a@s.ua")])
    audit = audit_of(("a@s.ua", NOW - timedelta(days=2), "ops", "create", {"type": 2, "status": "pending"}))

    drift = compute_drift(desired, observed, POLICY, audit=audit, now=NOW)

    assert drift.kinds[CHANGED_BY_HAND] == []
    assert drift.clean


def test_a_user_removed_from_zoom_and_an_addon_taken_off_by_hand_are_reported() -> None:
    desired, observed = world(
        [person("a@s.ua"), person("b@s.ua", role="admin")], [user("b@s.ua")], managed={"a@s.ua", "b@s.ua"}
    )
    audit = audit_of(
        ("a@s.ua", NOW - timedelta(days=3), "ops", "license", {"type": 2, "status": "active"}),
        ("b@s.ua", NOW - timedelta(days=3), "ops", "add_addon", {"type": 2, "large_meeting_capacity": 500}),
    )

    drift = compute_drift(desired, observed, POLICY, audit=audit, now=NOW)

    found = {(i["email"], i["field"]) for i in drift.kinds[CHANGED_BY_HAND]}
    assert found == {("a@s.ua", "presence"), ("b@s.ua", "large_meeting_capacity")}


def test_licensed_but_unused_for_the_policy_days_are_reclaim_candidates() -> None:
    people = [person(e) for e in ("old@s.ua", "never@s.ua", "fresh@s.ua", "active@s.ua")]
    users = [
        user("old@s.ua", last_login_time=NOW - timedelta(days=120)),
        user("never@s.ua"),
        user("fresh@s.ua"),
        user("active@s.ua", last_login_time=NOW - timedelta(days=2)),
    ]
    desired, observed = world(people, users)
    created = {"never@s.ua": NOW - timedelta(days=200), "fresh@s.ua": NOW - timedelta(days=10)}

    drift = compute_drift(desired, observed, POLICY, audit={}, created=created, now=NOW)

    inactive = by_email(drift.kinds[INACTIVE])
    assert set(inactive) == {"old@s.ua", "never@s.ua"}
    assert "120 days ago" in inactive["old@s.ua"]["detail"]
    assert "never logged in" in inactive["never@s.ua"]["detail"]
    assert inactive["old@s.ua"]["institution_code"] == "0421"

    off = compute_drift(desired, observed, Policy(inactive_days=0), audit={}, created=created, now=NOW)
    assert off.kinds[INACTIVE] == []


def test_invitations_pending_longer_than_the_policy_days() -> None:
    people = [person("old@s.ua"), person("new@s.ua")]
    users = [user("old@s.ua", status="pending"), user("new@s.ua", status="pending")]
    desired, observed = world(people, users)
    created = {"old@s.ua": NOW - timedelta(days=45), "new@s.ua": NOW - timedelta(days=3)}

    drift = compute_drift(desired, observed, POLICY, audit={}, created=created, now=NOW)

    assert [i["email"] for i in drift.kinds[PENDING_STALE]] == ["old@s.ua"]
    # Without a creation date from Zoom, the time our create was audited counts.
    audit = audit_of(
        ("new@s.ua", NOW - timedelta(days=31), "ops", "create", {"type": 2, "status": "pending"})
    )
    drift = compute_drift(desired, observed, POLICY, audit=audit, created={}, now=NOW)
    assert [i["email"] for i in drift.kinds[PENDING_STALE]] == ["new@s.ua"]


def test_a_school_holding_more_licenses_than_its_quota() -> None:
    # Protected holders are never revoked, so the school stays above its quota: only a person can fix it.
    people = [person("p1@s.ua"), person("p2@s.ua")]
    desired, observed = world(people, [user("p1@s.ua"), user("p2@s.ua")], quota=1)
    policy = Policy(protected_emails=["p1@s.ua", "p2@s.ua"])

    drift = compute_drift(desired, observed, policy, audit={}, now=NOW)

    [item] = drift.kinds[OVER_QUOTA]
    assert item["institution_code"] == "0421"
    assert item["quota"] == 1
    assert item["licensed"] == 2


def test_an_unmanaged_licensed_user_is_shown_but_is_no_alert() -> None:
    desired, observed = world(
        [person("a@s.ua")], [user("a@s.ua"), user("stranger@x.org")], managed={"a@s.ua"}
    )

    drift = compute_drift(desired, observed, POLICY, audit={}, now=NOW)

    assert [i["email"] for i in drift.kinds[UNMANAGED_LICENSED]] == ["stranger@x.org"]
    assert drift.clean
    assert drift.alerts == 0


def test_report_data_has_no_top_level_list_and_counts_every_kind() -> None:
    desired, observed = world([person("gone@s.ua", left_days=60)], [user("gone@s.ua")])

    data = compute_drift(desired, observed, POLICY, audit={}, now=NOW).to_data()

    assert not any(isinstance(value, list) for value in data.values())
    assert data["clean"] is False
    assert data["alerts"] == 1
    assert data["counts"][LICENSED_NOT_ENTITLED] == 1
    assert set(data["counts"]) == set(data["kinds"])


def test_a_leaver_deactivated_or_removed_by_hand_is_no_alert_but_one_given_a_seat_is() -> None:
    people = [
        person("gone@s.ua", left_days=60),
        person("away@s.ua", left_days=60),
        person("back@s.ua", left_days=60),
    ]
    users = [user("away@s.ua", type=1, status="inactive"), user("back@s.ua", type=2)]
    desired, observed = world(people, users, managed={"gone@s.ua", "away@s.ua", "back@s.ua"})
    then = NOW - timedelta(days=30)
    audit = audit_of(
        *(
            (e, then - timedelta(days=1), "ops", "license", {"type": 2, "status": "active"})
            for e in ("gone@s.ua", "away@s.ua", "back@s.ua")
        ),
        *((e, then, "ops", "unlicense", {"type": 1}) for e in ("gone@s.ua", "away@s.ua", "back@s.ua")),
    )

    drift = compute_drift(desired, observed, POLICY, audit=audit, now=NOW)

    assert [(i["email"], i["field"]) for i in drift.kinds[CHANGED_BY_HAND]] == [("back@s.ua", "type")]
    assert [i["email"] for i in drift.kinds[LICENSED_NOT_ENTITLED]] == ["back@s.ua"]


def test_a_holder_downgraded_by_hand_whose_seat_went_to_another_says_so() -> None:
    # Quota 1: once downgraded, the other teacher (first by email) is served before them.
    desired, observed = world(
        [person("a@s.ua"), person("z@s.ua")], [user("a@s.ua", type=1), user("z@s.ua", type=1)], quota=1
    )
    audit = audit_of(("z@s.ua", NOW - timedelta(days=3), "ops", "license", {"type": 2, "status": "active"}))

    drift = compute_drift(desired, observed, POLICY, audit=audit, now=NOW)

    [item] = drift.kinds[CHANGED_BY_HAND]
    assert item["email"] == "z@s.ua"
    assert "now waiting: 1st in line at 0421 (quota 1 of 1 in use)" in item["detail"]
