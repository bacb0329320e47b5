"""Coordinators close the centre (public holidays in one click) and the slots follow."""
from datetime import datetime, time, timedelta

import pytest

from tiers_lieu.accounts.models import Role
from tiers_lieu.booking.models import Closure, Location, OpeningRule, Slot, Topic
from tiers_lieu.extensions import db

from .factories import PARIS
from .conftest import submit


@pytest.fixture
def coordinator(client, login_as):
    return login_as(Role.COORDINATOR)


@pytest.fixture
def weekly_rule(app):
    """Opening hours every day of the week, from today, so that the horizon has slots."""
    topic = Topic(slug="demarches", name_fr="Démarches")
    location = Location(name="Salle informatique")
    today = datetime.now(PARIS).date()
    rules = [OpeningRule(weekday=day, start_time=time(9), end_time=time(10), slot_length=30,
                         location=location, topics=[topic], valid_from=today) for day in range(7)]
    db.session.add_all(rules)
    db.session.commit()
    return rules


def slots_on(day):
    start = datetime.combine(day, time(), PARIS)
    return db.session.execute(
        db.select(db.func.count(Slot.id)).where(Slot.starts_at >= start, Slot.starts_at < start + timedelta(days=1),
                                                Slot.cancelled.is_(False))).scalar_one()


def test_a_closure_removes_the_free_slots_of_its_days(client, coordinator, weekly_rule, runner):
    runner.invoke(args=["slots", "generate"])
    day = datetime.now(PARIS).date() + timedelta(days=10)
    assert slots_on(day) == 2
    response = submit(client, "/admin/closures", {"start_date": day.isoformat(), "end_date": day.isoformat(),
                                                  "reason": "Formation de l'équipe", "location": "0"})
    assert response.status_code == 302
    db.session.expire_all()
    assert slots_on(day) == 0
    assert "Formation de l'équipe" in client.get("/admin/closures").page

    closure = db.session.execute(db.select(Closure)).scalar_one()
    submit(client, f"/admin/closures/{closure.id}/delete", {}, form_url="/admin/closures")
    db.session.expire_all()
    assert slots_on(day) == 2


def test_public_holidays_in_one_click(client, coordinator):
    year = datetime.now(PARIS).year + 1
    response = submit(client, "/admin/closures/holidays", {"year": str(year)}, form_url="/admin/closures")
    assert response.status_code == 302
    submit(client, "/admin/closures/holidays", {"year": str(year)}, form_url="/admin/closures")
    reasons = db.session.execute(db.select(Closure.reason)).scalars().all()
    assert len(reasons) == 11 and "Fête nationale" in reasons


def test_public_holidays_are_named_in_the_page_language(client, coordinator):
    """Issue 11: the holidays' names stayed French on English pages. What staff type stays as typed."""
    year = datetime.now(PARIS).year + 1
    submit(client, "/admin/closures/holidays", {"year": str(year)}, form_url="/admin/closures")
    db.session.add(Closure(start_date=datetime(year, 8, 3).date(), end_date=datetime(year, 8, 21).date(),
                           reason="Noël"))  # a range typed by hand that happens to read like a holiday
    db.session.commit()
    english = client.get("/admin/closures?lang=en").page
    assert "Christmas Day" in english and "Bastille Day" in english and "Fête nationale" not in english
    assert english.count("Noël") == 2  # the hand-typed range: its cell and its button's hidden label
    french = client.get("/admin/closures?lang=fr").page
    assert "Fête nationale" in french and "Bastille Day" not in french


def test_every_public_holiday_has_a_translated_name():
    from tiers_lieu.booking.models import PUBLIC_HOLIDAY_NAMES
    from tiers_lieu.booking.slotgen import french_public_holidays

    assert {name for _, name in french_public_holidays(2030)} == set(PUBLIC_HOLIDAY_NAMES)


@pytest.mark.parametrize("data", [
    {"start_date": "2030-05-02", "end_date": "2030-05-01", "reason": "x", "location": "0"},
    {"start_date": "not a date", "end_date": "2030-05-01", "reason": "x", "location": "0"},
    {"start_date": "2030-05-01", "end_date": "2030-05-01", "reason": "", "location": "0"},
    {"start_date": "2030-05-01", "end_date": "2030-05-01", "reason": "x", "location": "999"},
])
def test_bad_closures_are_explained(client, coordinator, data):
    response = submit(client, "/admin/closures", data)
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.page
    assert db.session.execute(db.select(db.func.count(Closure.id))).scalar_one() == 0


@pytest.mark.parametrize("year", ["", "abc", "1800"])
def test_bad_years_are_refused(client, coordinator, year):
    assert submit(client, "/admin/closures/holidays", {"year": year}, form_url="/admin/closures").status_code == 400


def test_closures_are_for_coordinators(client, login_as):
    login_as()
    assert client.get("/admin/closures").status_code == 403
