"""The statistics' query layer on a small hand-made dataset whose every answer is known."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from tiers_lieu.accounts.models import Role
from tiers_lieu.booking.models import Booking, BookingStatus, CallbackRequest, Slot
from tiers_lieu.desk.models import (Attendee, HelpSession, Need, QueueTicket, ReferralTarget, Resident)
from tiers_lieu.extensions import db
from tiers_lieu.stats.figures import figures
from tiers_lieu.stats.queries import Filters
from tiers_lieu.stats.sql import percentiles

PARIS = ZoneInfo("Europe/Paris")
MARCH = Filters(date(2026, 3, 1), date(2026, 3, 31))


def utc(day, hour, minute=0):
    """The UTC instant of a local time in Paris."""
    return datetime.combine(day, time(hour, minute), PARIS).astimezone(timezone.utc)


@pytest.fixture(autouse=True)
def english(app):
    """Read the tables' labels in English."""
    from flask_babel import force_locale
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.fixture
def dataset(app, make_user, make_topic, make_location):
    f1, f2 = make_user(Role.FACILITATOR, name="Facilitator One"), make_user(Role.FACILITATOR, name="Facilitator Two")
    topic_a, topic_b = make_topic(name_fr="Démarches"), make_topic(name_fr="Smartphone")
    l1, l2 = make_location("Salle"), make_location("Bureau")
    n1, n2 = Need(label_fr="Pas d'e-mail", position=1), Need(label_fr="Pas d'ordinateur", position=2)
    r = ReferralTarget(label_fr="CAF", kind="operator")
    r1, r2 = Resident(first_name="Awa", name_key="awa"), Resident(first_name="Kossi", name_key="kossi")
    db.session.add_all([n1, n2, r, r1, r2])
    db.session.flush()

    def slot(day, hour, minutes, capacity=1, cancelled=False, location=l1, facilitator=f1, topics=(topic_a,)):
        row = Slot(starts_at=utc(day, hour), ends_at=utc(day, hour) + timedelta(minutes=minutes), capacity=capacity,
                   location=location, facilitator_id=facilitator.id, cancelled=cancelled, topics=list(topics))
        db.session.add(row)
        return row

    count = iter(range(100))

    def booking(on, status, topic=topic_a, resident=None):
        n = next(count)
        row = Booking(slot=on, topic=topic, status=status.value, code=f"Q{n:05d}", token_hash=f"{n:064d}",
                      first_name="Awa", phone="+33612345678", resident_id=resident and resident.id)
        db.session.add(row)
        return row

    sl1 = slot(date(2026, 3, 2), 9, 60)
    sl2 = slot(date(2026, 3, 4), 14, 120, capacity=6, location=l2, facilitator=f2, topics=(topic_b,))
    sl3 = slot(date(2026, 3, 10), 9, 30, cancelled=True)
    sl4 = slot(date(2026, 4, 10), 9, 30)
    b1 = booking(sl1, BookingStatus.SEEN, resident=r1)
    b2 = booking(sl2, BookingStatus.SEEN, topic=topic_b)
    booking(sl2, BookingStatus.NO_SHOW, topic=topic_b)
    booking(sl2, BookingStatus.CANCELLED_BY_RESIDENT, topic=topic_b)
    booking(sl3, BookingStatus.CANCELLED_BY_CENTRE)
    booking(sl4, BookingStatus.SEEN)

    def ticket(day, number, waited, status="served"):
        issued = utc(day, 10)
        row = QueueTicket(day=day, number=number, status=status, issued_at=issued, topic_id=topic_a.id,
                          called_at=issued + timedelta(minutes=waited) if waited is not None else None,
                          called_by_id=f1.id if waited is not None else None)
        db.session.add(row)
        return row

    t1 = ticket(date(2026, 3, 5), 1, 10)
    t2 = ticket(date(2026, 3, 20), 1, 20)
    ticket(date(2026, 3, 20), 2, 30)
    ticket(date(2026, 3, 21), 1, 40)
    ticket(date(2026, 3, 21), 2, None, status="left")
    ticket(date(2026, 4, 1), 1, 50)

    def session(day, hour, minutes, facilitator=f1, location=l1, topics=(topic_a,), needs=(), attendees=(), **fields):
        row = HelpSession(day=day, start_time=time(hour, 0 if hour != 10 else 30), duration_minutes=minutes,
                          facilitator_id=facilitator.id, location=location, topics=list(topics), needs=list(needs),
                          **fields)
        row.attendees = [Attendee(resident_id=resident and resident.id, booking_id=booked and booked.id)
                         for resident, booked in attendees]
        db.session.add(row)
        return row

    db.session.flush()
    session(date(2026, 2, 10), 9, 30, attendees=[(r1, None)], autonomy="guided")
    session(date(2026, 3, 2), 9, 45, slot_id=sl1.id, attendees=[(r1, b1)], autonomy="partly", outcome="resolved",
            needs=(n1, n2), age_bracket="60_69", channel="on_site", equipment="computer", equipment_own=False,
            assistance="with")
    session(date(2026, 3, 4), 14, 120, kind="workshop", facilitator=f2, location=l2, topics=(topic_b, topic_a),
            participant_count=5, attendees=[(r2, None), (None, b2)], autonomy="guided", needs=(n1,))
    session(date(2026, 3, 5), 10, 15, kind="quick", ticket_id=t1.id, first_visit=True, outcome="referred",
            referral_target_id=r.id, autonomy="autonomous")
    session(date(2026, 3, 20), 9, 60, ticket_id=t2.id, attendees=[(r2, None)], autonomy="autonomous",
            first_visit=False)
    session(date(2026, 4, 2), 9, 30, attendees=[(r1, None)])

    for created, handled in ((datetime(2026, 3, 3, 10, tzinfo=timezone.utc), timedelta(hours=2)),
                             (datetime(2026, 3, 15, 10, tzinfo=timezone.utc), timedelta(hours=4)),
                             (datetime(2026, 3, 20, 10, tzinfo=timezone.utc), None),
                             (datetime(2026, 4, 5, 10, tzinfo=timezone.utc), timedelta(hours=1))):
        db.session.add(CallbackRequest(topic=topic_a, first_name="Ana", phone="+33698765432", created_at=created,
                                       handled_at=created + handled if handled else None))
    db.session.commit()
    return {"f1": f1, "f2": f2, "topic_a": topic_a, "topic_b": topic_b, "l1": l1, "l2": l2, "n1": n1}


def rows(result, key):
    return {str(row[0]): row[1:] for row in result.table(key).rows}


def test_people_and_sessions(dataset):
    result = figures(db.session, MARCH, PARIS)
    assert not result.empty
    assert result.headline_value("sessions") == 4
    assert result.headline_value("participants") == 8
    assert result.headline_value("people") == 7  # 2 residents + 5 participants not linked to one
    assert result.headline_value("residents") == 2
    assert result.headline_value("new") == 2  # Kossi (first session ever in March) + the quick help's first visit
    assert result.headline_value("returning") == 1  # Awa came in February
    assert result.headline_value("hours") == 4.0
    people = rows(result, "people")
    assert people["Named participants"] == (4,)
    assert people["Anonymous participants"] == (4,)
    assert people["First visit not known"] == (4,)


def test_bookings_slots_and_rates(dataset):
    result = figures(db.session, MARCH, PARIS)
    bookings = rows(result, "bookings")
    assert bookings["Seen"][0] == 2 and bookings["No-show"][0] == 1
    assert bookings["Cancelled by the resident"][0] == 1 and bookings["Cancelled by the centre"][0] == 1
    assert result.headline_value("bookings") == 5
    assert result.headline_value("no_show_rate") == 33.3
    assert result.headline_value("cancellation_rate") == 40.0
    rates = rows(result, "booking_rates")
    assert rates["Slots offered"] == (2,)
    assert rates["Seats offered"] == (7,)
    assert rates["Seats booked"] == (3,)
    assert rates["Slot occupancy (%)"] == (42.9,)
    assert rates["Hours offered"] == (3.0,)


def test_access_waiting_and_durations(dataset):
    result = figures(db.session, MARCH, PARIS)
    access = rows(result, "access")
    assert access["Booked"][0] == 6 and access["Walk-in"][0] == 2
    assert access["Booked"][1] == 75.0
    waiting = rows(result, "waiting")
    assert waiting["Tickets called"] == (4,)
    assert waiting["Median wait (min)"] == (25.0,)
    assert waiting["90th percentile wait (min)"] == (37.0,)
    tickets = rows(result, "tickets")
    assert tickets["Served"] == (4,) and tickets["Left without being seen"] == (1,)
    durations = rows(result, "durations")
    assert durations["Under 30 min"] == (1, 15)
    assert durations["30 min to 1 h"] == (1, 45)
    assert durations["1 h to 2 h"] == (1, 60)
    assert durations["2 h and more"] == (1, 120)
    assert durations["Total"] == (4, 240)


def test_topics_needs_outcomes_autonomy_and_heat_map(dataset):
    result = figures(db.session, MARCH, PARIS)
    topics = rows(result, "topics")
    assert topics["Démarches"] == (4, 8)  # the workshop has two topics: it counts under each
    assert topics["Smartphone"] == (1, 5)
    needs = result.table("needs").rows
    assert [(str(label), n) for label, n in needs] == [("Pas d'e-mail", 6), ("Pas d'ordinateur", 1)]
    assert rows(result, "outcomes")["Referred elsewhere"] == (1,)
    assert rows(result, "referrals")["CAF"] == (1,)
    autonomy = rows(result, "autonomy")
    assert autonomy["Needs guidance"] == (5,) and autonomy["Autonomous with occasional help"] == (1,)
    assert autonomy["Autonomous"] == (2,)
    evolution = rows(result, "autonomy_evolution")
    assert evolution["More autonomous"] == (1, 100.0)  # Kossi; Awa has one session in March only
    heat = {str(row[0]): row[1:] for row in result.table("heat").rows}
    hours = [str(column) for column in result.table("heat").columns[1:]]
    assert heat["Monday"][hours.index("09:00")] == 1
    assert heat["Wednesday"][hours.index("14:00")] == 5
    assert heat["Thursday"][hours.index("10:00")] == 1
    assert heat["Friday"][hours.index("09:00")] == 1


def test_trends_and_callbacks(dataset):
    result = figures(db.session, MARCH, PARIS)
    trend = result.table("trends")
    columns = [str(column) for column in trend.columns]
    by_month = {row[0]: dict(zip(columns[1:], row[1:])) for row in trend.rows}
    assert list(by_month)[-1] == "2026-03" and len(by_month) == 12
    assert by_month["2026-03"]["Sessions"] == 4 and by_month["2026-03"]["Participants"] == 8
    assert by_month["2026-02"]["Sessions"] == 1
    assert by_month["2026-03"]["Bookings seen"] == 2 and by_month["2026-03"]["Cancelled bookings"] == 2
    assert by_month["2026-03"]["Walk-in tickets"] == 5 and by_month["2026-03"]["Call-back requests"] == 3
    callbacks = rows(result, "callbacks")
    assert callbacks["Requests received"] == (3,)
    assert callbacks["Requests handled"] == (2,)
    assert callbacks["Median wait before handling (hours)"] == (3.0,)
    assert callbacks["90th percentile wait before handling (hours)"] == (3.8,)


def test_filters_by_facilitator_topic_and_place(dataset):
    f1 = figures(db.session, Filters(MARCH.start, MARCH.end, facilitator_id=dataset["f1"].id), PARIS)
    assert f1.headline_value("sessions") == 3 and f1.headline_value("participants") == 3
    assert f1.headline_value("bookings") == 2  # the slots of facilitator one: seen, cancelled by the centre
    topic_b = figures(db.session, Filters(MARCH.start, MARCH.end, topic_id=dataset["topic_b"].id), PARIS)
    assert topic_b.headline_value("sessions") == 1 and topic_b.headline_value("participants") == 5
    assert topic_b.headline_value("bookings") == 3
    place = figures(db.session, Filters(MARCH.start, MARCH.end, location_id=dataset["l2"].id), PARIS)
    assert place.headline_value("sessions") == 1
    assert rows(place, "booking_rates")["Seats offered"] == (6,)


def test_an_empty_period_divides_nothing_by_zero(dataset):
    result = figures(db.session, Filters(date(2020, 1, 1), date(2020, 1, 31)), PARIS)
    assert result.empty
    assert result.headline_value("no_show_rate") is None
    assert result.headline_value("occupancy") is None
    assert result.headline_value("wait_median") is None
    assert rows(result, "autonomy_evolution")["More autonomous"] == (0, None)


def test_the_number_of_statements_does_not_depend_on_the_period(dataset):
    counts = []
    for filters in (MARCH, Filters(date(2020, 1, 1), date(2026, 12, 31)), Filters(date(2020, 1, 1), date(2020, 1, 2))):
        statements = []
        listener = lambda *args: statements.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            figures(db.session, filters, PARIS)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        counts.append(len(statements))
    assert counts[0] == counts[1] == counts[2]
    assert counts[0] <= 25


@pytest.mark.parametrize("values, median, p90", [
    ([5], 5, 5), ([1, 2], 1.5, 1.9), ([10, 20, 30, 40], 25, 37), (list(range(1, 102)), 51, 91),
])
def test_percentiles_interpolate_like_the_textbook(app, values, median, p90):
    from sqlalchemy import literal, select, union_all
    query = union_all(*[select(literal(v).label("v")) for v in values])
    result, count = percentiles(db.session, select(query.subquery().c.v.label("v")))
    assert count == len(values)
    assert result[50] == pytest.approx(median) and result[90] == pytest.approx(p90)
