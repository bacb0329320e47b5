"""The generated history: the demo's six months of activity and `flask seed bench`."""
from sqlalchemy import func, select

from tiers_lieu.booking.models import HOLDS_SEAT, Booking, BookingStatus, CallbackRequest, Slot
from tiers_lieu.desk.models import Attendee, HelpSession, QueueTicket, Resident
from tiers_lieu.extensions import db


def count(model, *conditions):
    return db.session.execute(select(func.count()).select_from(model).where(*conditions)).scalar_one()


def test_the_demo_brings_six_months_of_activity_once(runner):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    figures = {model: count(model) for model in (HelpSession, Attendee, QueueTicket, Resident, CallbackRequest,
                                                 Booking)}
    assert 500 <= figures[HelpSession] <= 2_500
    assert figures[QueueTicket] > 100 and figures[Resident] > 100 and figures[CallbackRequest] > 20
    for status in BookingStatus:
        if status is not BookingStatus.CHECKED_IN:
            assert count(Booking, Booking.status == status.value) > 0, status
    first, last = db.session.execute(select(func.min(HelpSession.day), func.max(HelpSession.day))).one()
    assert 150 <= (last - first).days <= 190
    assert count(HelpSession, HelpSession.kind == "workshop", HelpSession.participant_count > 1) > 0
    # Every slot counts as taken exactly the seats its bookings hold (the generator writes both).
    holders = (select(func.count(Booking.id)).where(Booking.slot_id == Slot.id, Booking.status.in_(HOLDS_SEAT))
               .scalar_subquery())
    assert count(Slot, Slot.seats_taken != holders) == 0
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    assert {model: count(model) for model in figures} == figures


def test_seed_bench_adds_a_network_after_the_demo(runner):
    result = runner.invoke(args=["seed", "bench"])
    assert result.exit_code != 0 and "load the demo first" in result.output
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    sessions, bookings = count(HelpSession), count(Booking)
    result = runner.invoke(args=["seed", "bench", "--years", "1", "--bookings", "1000", "--residents", "150"])
    assert result.exit_code == 0, result.output
    assert "sessions:" in result.output
    assert count(Booking) - bookings >= 1_000
    assert count(HelpSession) > sessions + 800
    assert count(Resident) >= 150 + 400
    first = db.session.execute(select(func.min(HelpSession.day))).scalar_one()
    last = db.session.execute(select(func.max(HelpSession.day))).scalar_one()
    assert (last - first).days >= 360
