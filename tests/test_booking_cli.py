"""`flask slots generate` and `flask slots holidays`."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tiers_lieu.booking.models import BookingRules, Slot
from tiers_lieu.extensions import db

PARIS = ZoneInfo("Europe/Paris")


def count(what):
    return db.session.execute(db.select(db.func.count()).select_from(what)).scalar_one()


@pytest.fixture
def rule(make_rule):
    """Six 30-minute slots on the weekday after tomorrow (a run may straddle midnight)."""
    today = datetime.now(PARIS).date()
    return make_rule(weekday=(today + timedelta(days=2)).weekday(),
                     valid_from=today - timedelta(days=7))


def test_generate_creates_the_slots_of_the_coming_weeks(runner, rule):
    result = runner.invoke(args=["slots", "generate", "--weeks", "1"])
    assert result.exit_code == 0, result.output
    assert "6 created, 0 updated, 0 removed, 0 kept because booked" in result.output

    result = runner.invoke(args=["slots", "generate", "--weeks", "1"])
    assert "0 created, 0 updated, 0 removed" in result.output
    assert count(Slot) == 6


def test_generate_reads_the_horizon_from_the_booking_rules(app, runner, rule):
    db.session.add(BookingRules(min_notice_minutes=120, horizon_weeks=2, change_deadline_minutes=0,
                                max_active_per_contact=2))
    db.session.commit()
    result = runner.invoke(args=["slots", "generate"])
    assert "12 created" in result.output


def test_generate_names_the_booked_slots_it_kept(runner, rule, make_booking):
    runner.invoke(args=["slots", "generate", "--weeks", "1"])
    slot = db.session.execute(db.select(Slot).order_by(Slot.starts_at)).scalars().first()
    make_booking(slot, first_name="Awa")
    rule.active = False
    db.session.commit()

    result = runner.invoke(args=["slots", "generate", "--weeks", "1"])
    assert "0 created, 0 updated, 5 removed, 1 kept because booked" in result.output
    local = slot.starts_at.astimezone(PARIS)
    assert f"kept: slot {slot.id} on {local:%Y-%m-%d} 09:00 (1 booked)" in result.output
    assert "Awa" not in result.output and "+336" not in result.output


def test_generate_refuses_a_horizon_of_no_week(runner):
    result = runner.invoke(args=["slots", "generate", "--weeks", "0"])
    assert result.exit_code != 0


def test_holidays_are_added_once(runner):
    result = runner.invoke(args=["slots", "holidays", "--year", "2031"])
    assert result.exit_code == 0, result.output
    assert "11 public holidays of 2031 added as closures." in result.output
    again = runner.invoke(args=["slots", "holidays", "--year", "2031"])
    assert "0 public holidays of 2031" in again.output


def test_holidays_default_to_this_year(runner):
    result = runner.invoke(args=["slots", "holidays"])
    assert f"11 public holidays of {datetime.now(PARIS).year} added" in result.output
