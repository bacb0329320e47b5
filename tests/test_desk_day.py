"""The desk's day view: the agenda of a day, check-in, no-shows, cancelling for a resident."""
import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from tiers_lieu.accounts.models import Role
from tiers_lieu.booking.models import Booking, BookingStatus, CallbackRequest, Slot
from tiers_lieu.desk.reception import agenda, queue
from tiers_lieu.desk.models import Attendee, HelpSession, QueueTicket, Resident, TicketSource
from tiers_lieu.desk.reception.views import DAY_CALLBACKS
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import OutboxMessage

from .factories import make_topic
from .conftest import log_in, submit

PARIS = ZoneInfo("Europe/Paris")


def now_utc():
    return datetime.now(timezone.utc)


@pytest.fixture
def near_midnight():
    """The view tests place slots around now: they need today to last a while either side."""
    local = datetime.now(PARIS)
    if local.time() < time(1, 30) or local.time() > time(22, 30):
        pytest.skip("too close to midnight for slots around now to stay on today")


@pytest.fixture
def topic(app):
    return make_topic()


@pytest.fixture
def desk_slot(make_slot, make_location, topic):
    """A slot starting `minutes` from now (negative: already begun), serving the topic."""
    place = make_location("Bureau d'accueil")

    def make(minutes=0, capacity=1, location=None, **fields):
        starts_at = now_utc().replace(second=0, microsecond=0) + timedelta(minutes=minutes)
        return make_slot(starts_at=starts_at, capacity=capacity, location=location or place, topics=[topic],
                         **fields)

    return make


@pytest.fixture
def staff(client, make_user):
    """Log in a facilitator who reads English (the messages checked below are the English ones)."""

    def login(role=Role.FACILITATOR):
        user = make_user(role=role, language="en")
        assert log_in(client, user.email).status_code == 302
        return user

    return login


def reload(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def post(client, url, **data):
    return submit(client, url, data, form_url="/desk/")


# --- access --------------------------------------------------------------------------------

def test_the_day_view_needs_a_staff_login(client):
    response = client.get("/desk/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/desk/day/fragment").status_code == 302
    assert client.post("/desk/queue/next").status_code in (302, 400)


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.COORDINATOR])
def test_facilitators_and_coordinators_see_the_day(client, staff, role):
    staff(role)
    response = client.get("/desk/")
    assert response.status_code == 200
    assert "Rendez-vous" in response.page or "Appointments" in response.page


# --- the agenda ----------------------------------------------------------------------------

def test_the_day_lists_each_slot_with_its_bookings(client, staff, desk_slot, make_booking, make_user,
                                                   near_midnight):
    facilitator = staff()
    slot = desk_slot(minutes=30, facilitator_id=facilitator.id)
    make_booking(slot, first_name="Fatoumata", note="Prime d'activité", phone="+33611111111")
    page = client.get("/desk/", headers={"Accept-Language": "en"}).page
    assert "Fatoumata" in page and "Prime d'activité" in page
    assert "Bureau d'accueil" in page and facilitator.display_name in page
    assert "1 seat, 1 taken" in page
    assert "First visit" in page


def test_came_before_comes_from_earlier_seen_bookings_of_the_same_phone(client, staff, desk_slot,
                                                                          make_booking, make_slot, near_midnight):
    staff()
    past = make_slot(starts_at=now_utc() - timedelta(days=20), topics=[desk_slot().topics[0]])
    make_booking(past, status=BookingStatus.SEEN, first_name="Awa", phone="+33622222222")
    returning = make_booking(desk_slot(minutes=60), first_name="Awa", phone="+33622222222")
    newcomer = make_booking(desk_slot(minutes=90), first_name="Binta", phone="+33633333333")
    day = returning.slot.starts_at.astimezone(PARIS).date()
    came = {booking.id: booking.came_before for booking in agenda.day_agenda(db.session, day, PARIS).bookings}
    assert came == {returning.id: True, newcomer.id: False}
    assert "Came before" in client.get("/desk/", headers={"Accept-Language": "en"}).page


def test_came_before_also_comes_from_an_earlier_help_session_or_the_same_email(staff, desk_slot, make_booking,
                                                                              make_slot, near_midnight):
    """A resident helped on an earlier day came before; so did an e-mail seen on an earlier slot,
    but not a help session of the same day, nor a booking seen later."""
    facilitator = staff()
    topic = desk_slot().topics[0]
    resident = Resident(first_name="Inès", last_name="Haddad", name_key="ines haddad")
    newcomer_resident = Resident(first_name="Yusuf", last_name="Demir", name_key="yusuf demir")
    db.session.add_all([resident, newcomer_resident])
    db.session.commit()
    today = datetime.now(PARIS).date()
    db.session.add_all([
        HelpSession(day=today - timedelta(days=3), duration_minutes=30, facilitator_id=facilitator.id,
                    autonomy="partly", attendees=[Attendee(resident_id=resident.id)]),
        HelpSession(day=today, duration_minutes=30, facilitator_id=facilitator.id, autonomy="partly",
                    attendees=[Attendee(resident_id=newcomer_resident.id)]),
    ])
    later = make_slot(starts_at=now_utc() + timedelta(days=20), topics=[topic])
    make_booking(later, status=BookingStatus.SEEN, phone=None, email="later@example.org")
    past = make_slot(starts_at=now_utc() - timedelta(days=8), topics=[topic])
    make_booking(past, status=BookingStatus.SEEN, phone=None, email="awa@example.org")
    helped = make_booking(desk_slot(minutes=30), phone=None, resident_id=resident.id)
    same_day = make_booking(desk_slot(minutes=45), phone=None, resident_id=newcomer_resident.id)
    by_email = make_booking(desk_slot(minutes=60), phone=None, email="awa@example.org")
    seen_later = make_booking(desk_slot(minutes=75), phone=None, email="later@example.org")
    came = {booking.id: booking.came_before for booking in agenda.day_agenda(db.session, today, PARIS).bookings}
    assert came == {helped.id: True, same_day.id: False, by_email.id: True, seen_later.id: False}


def test_another_day_is_reachable_and_a_bad_date_says_so(client, staff, make_slot, make_booking, topic):
    staff()
    slot = make_slot(starts_at=datetime(2030, 7, 1, 8, tzinfo=timezone.utc), topics=[topic])
    make_booking(slot, first_name="Kofi")
    page = client.get("/desk/?day=2030-07-01", headers={"Accept-Language": "en"}).page
    assert "Kofi" in page and "Monday 1 July 2030" in page
    assert "day=2030-06-30" in page and "day=2030-07-02" in page
    for bad in ("2030-13-45", "yesterday", "1200-01-01", "9999-12-31", "2030-07-01%00"):
        response = client.get(f"/desk/?day={bad}", headers={"Accept-Language": "en"})
        assert response.status_code == 200
        assert "We could not read the date" in response.page
        assert "Kofi" not in response.page


def test_filters_by_facilitator_and_place(client, staff, desk_slot, make_booking, make_user, make_location,
                                          near_midnight):
    me = staff()
    colleague = make_user()
    other_place = make_location("Médiathèque")
    make_booking(desk_slot(minutes=10, facilitator_id=me.id), first_name="Mine")
    make_booking(desk_slot(minutes=20, facilitator_id=colleague.id, location=other_place), first_name="Theirs")
    page = client.get(f"/desk/?facilitator={me.id}").page
    assert "Mine" in page and "Theirs" not in page
    page = client.get(f"/desk/?place={other_place.id}").page
    assert "Theirs" in page and "Mine" not in page
    assert "Mine" in client.get("/desk/?facilitator=abc&place=").page


def test_the_fragment_holds_the_agenda_and_the_queue_only(client, staff, desk_slot, make_booking,
                                                           near_midnight):
    staff()
    make_booking(desk_slot(minutes=15), first_name="Samir")
    fragment = client.get("/desk/day/fragment").page
    assert "Samir" in fragment and 'id="desk-agenda"' in fragment and 'id="desk-queue"' in fragment
    assert "<html" not in fragment
    assert client.get("/desk/day/fragment?day=nonsense").status_code == 200
    assert "We could not read the date" not in client.get("/desk/").page
    page = client.get("/desk/").page
    assert 'data-fragment-url="/desk/day/fragment' in page and "js/desk.js" in page
    assert "Refresh" in page or "Actualiser" in page


# --- check-in and no-show -------------------------------------------------------------------

def test_arrived_checks_the_resident_in_and_offers_the_session_log(client, staff, desk_slot, make_booking,
                                                                   near_midnight):
    staff()
    booking = make_booking(desk_slot(minutes=20), first_name="Lina")
    response = post(client, f"/desk/bookings/{booking.id}/arrived")
    assert response.status_code == 302
    booking = reload(Booking, booking.id)
    assert booking.status == BookingStatus.CHECKED_IN.value and booking.checked_in_at is not None
    page = client.get("/desk/", headers={"Accept-Language": "en"}).page
    assert "Lina has arrived." in page
    assert f"/desk/sessions/new?booking={booking.id}" in page
    assert db.session.execute(db.select(QueueTicket)).first() is None
    again = post(client, f"/desk/bookings/{booking.id}/arrived")
    assert "already checked in" in client.get(again.headers["Location"], headers={"Accept-Language": "en"}).page


def test_a_resident_late_beyond_the_grace_joins_the_queue(client, staff, desk_slot, make_booking,
                                                          near_midnight):
    staff()
    booking = make_booking(desk_slot(minutes=-25), first_name="Omar")
    post(client, f"/desk/bookings/{booking.id}/arrived")
    [ticket] = db.session.execute(db.select(QueueTicket)).scalars().all()
    assert ticket.source == TicketSource.LATE_BOOKING.value and ticket.booking_id == booking.id
    assert ticket.first_name == "Omar" and ticket.number == 1
    assert reload(Booking, booking.id).status == BookingStatus.CHECKED_IN.value
    page = client.get("/desk/", headers={"Accept-Language": "en"}).page
    assert "joins the walk-in queue with ticket A-001" in page
    assert "people more than 10 minutes late join the queue" in page


def test_checking_in_a_cancelled_booking_or_another_day_changes_nothing(client, staff, desk_slot,
                                                                          make_booking, make_slot, topic):
    staff()
    cancelled = make_booking(desk_slot(minutes=10), status=BookingStatus.CANCELLED_BY_RESIDENT)
    response = post(client, f"/desk/bookings/{cancelled.id}/arrived")
    assert "This appointment is cancelled" in client.get(response.headers["Location"],
                                                         headers={"Accept-Language": "en"}).page
    assert reload(Booking, cancelled.id).status == BookingStatus.CANCELLED_BY_RESIDENT.value
    other_day = make_booking(make_slot(starts_at=now_utc() + timedelta(days=3), topics=[topic]))
    response = post(client, f"/desk/bookings/{other_day.id}/arrived")
    assert "not today" in client.get(response.headers["Location"], headers={"Accept-Language": "en"}).page
    assert reload(Booking, other_day.id).status == BookingStatus.BOOKED.value
    assert post(client, "/desk/bookings/999999/arrived").status_code == 404
    assert post(client, "/desk/bookings/999999/no-show").status_code == 404
    assert client.get("/desk/bookings/999999/cancel").status_code == 404


def test_no_show_gives_the_seat_back_and_can_be_undone(client, staff, desk_slot, make_booking, near_midnight):
    staff()
    slot = desk_slot(minutes=-5)
    booking = make_booking(slot, first_name="Hugo")
    post(client, f"/desk/bookings/{booking.id}/no-show")
    assert reload(Booking, booking.id).status == BookingStatus.NO_SHOW.value
    assert reload(Slot, slot.id).seats_taken == 0
    post(client, f"/desk/bookings/{booking.id}/arrived")
    assert reload(Booking, booking.id).status == BookingStatus.CHECKED_IN.value
    assert reload(Slot, slot.id).seats_taken == 1


def test_no_show_waits_for_the_slot_to_begin(client, staff, desk_slot, make_booking, near_midnight):
    staff()
    booking = make_booking(desk_slot(minutes=60))
    response = post(client, f"/desk/bookings/{booking.id}/no-show")
    assert "has not started yet" in client.get(response.headers["Location"], headers={"Accept-Language": "en"}).page
    assert reload(Booking, booking.id).status == BookingStatus.BOOKED.value


def test_services_refuse_wrong_states(app, make_slot, make_booking, topic):
    tz = PARIS
    slot = make_slot(starts_at=datetime(2030, 7, 1, 8, tzinfo=timezone.utc), topics=[topic])
    booking = make_booking(slot)
    during = datetime(2030, 7, 1, 8, 5, tzinfo=timezone.utc)
    rules = type("Rules", (), {"late_grace_minutes": 10})()
    with pytest.raises(agenda.AgendaRefused) as refused:
        agenda.check_in(db.session, booking, rules=rules, tz=tz, now=during + timedelta(days=1))
    assert refused.value.reason is agenda.AgendaRefusal.NOT_TODAY
    assert agenda.check_in(db.session, booking, rules=rules, tz=tz, now=during) is None
    with pytest.raises(agenda.AgendaRefused) as refused:
        agenda.mark_no_show(db.session, booking, tz=tz, now=during)
    assert refused.value.reason is agenda.AgendaRefusal.NOT_EXPECTED
    late = make_booking(make_slot(starts_at=datetime(2030, 7, 1, 9, tzinfo=timezone.utc), topics=[topic]))
    ticket = agenda.check_in(db.session, late, rules=rules, tz=tz, now=datetime(2030, 7, 1, 9, 11, tzinfo=timezone.utc))
    assert ticket.label == "A-001" and ticket.day.isoformat() == "2030-07-01"


def test_parse_day():
    today = datetime(2026, 11, 25).date()
    assert agenda.parse_day("2026-11-30", today).isoformat() == "2026-11-30"
    assert agenda.parse_day(" 2026-11-30 ", today).isoformat() == "2026-11-30"
    for bad in ("", None, "2026-02-30", "30/11/2026", "0001-01-01", "2040-01-01", "2037-01-01"):
        assert agenda.parse_day(bad, today) is None


def test_day_bounds_follow_daylight_saving():
    start, end = agenda.day_bounds(datetime(2026, 3, 29).date(), PARIS)
    assert end - start == timedelta(hours=23)
    start, end = agenda.day_bounds(datetime(2026, 10, 25).date(), PARIS)
    assert end - start == timedelta(hours=25)


# --- cancelling for the resident -------------------------------------------------------------

def test_cancel_for_the_resident_with_a_reason_tells_them(client, staff, desk_slot, make_booking, near_midnight):
    staff()
    slot = desk_slot(minutes=120)
    booking = make_booking(slot, first_name="Inès", email="ines@example.org", phone=None, language="en",
                           request_key="desk-test-1")
    url = f"/desk/bookings/{booking.id}/cancel"
    form = client.get(url, headers={"Accept-Language": "en"}).page
    assert "Reason, told to the resident" in form
    empty = submit(client, url, {"reason": "  "}, headers={"Accept-Language": "en"})
    assert empty.status_code == 200 and "aria-invalid" in empty.page
    assert reload(Booking, booking.id).status == BookingStatus.BOOKED.value
    response = submit(client, url, {"asked_by": "centre", "reason": "The facilitator is ill",
                                    "day": slot.starts_at.date().isoformat()})
    assert response.status_code == 302
    booking = reload(Booking, booking.id)
    assert booking.status == BookingStatus.CANCELLED_BY_CENTRE.value
    assert booking.cancel_reason == "The facilitator is ill"
    assert reload(Slot, slot.id).seats_taken == 0
    [message] = db.session.execute(db.select(OutboxMessage)).scalars().all()
    assert message.kind == "cancelled_by_centre" and message.recipient == "ines@example.org"
    assert "The facilitator is ill" in message.body and "had to cancel" in message.body
    again = client.get(url, headers={"Accept-Language": "en"})
    assert again.status_code == 302


def test_cancelling_by_sms_in_french(client, staff, desk_slot, make_booking, near_midnight):
    staff()
    booking = make_booking(desk_slot(minutes=120), first_name="Rose", phone="+33644444444", request_key="desk-test-2")
    submit(client, f"/desk/bookings/{booking.id}/cancel", {"asked_by": "centre", "reason": "Fermeture exceptionnelle"})
    [message] = db.session.execute(db.select(OutboxMessage)).scalars().all()
    assert message.channel == "sms" and "Fermeture exceptionnelle" in message.body
    assert "annuler" in message.body


def test_cancelling_when_the_resident_asks_counts_as_their_cancellation(client, staff, desk_slot, make_booking,
                                                                        near_midnight):
    staff()
    slot = desk_slot(minutes=20)  # past any deadline residents have: staff are not bound by it
    booking = make_booking(slot, first_name="Malik", email="malik@example.org", phone=None, request_key="desk-test-3")
    url = f"/desk/bookings/{booking.id}/cancel"
    missing = submit(client, url, {"asked_by": "", "reason": "Rendez-vous à la CAF le même jour"})
    assert missing.status_code == 200 and "Rendez-vous à la CAF le même jour" in missing.page
    assert reload(Booking, booking.id).status == BookingStatus.BOOKED.value
    submit(client, url, {"asked_by": "resident", "reason": "Rendez-vous à la CAF le même jour"})
    booking = reload(Booking, booking.id)
    assert booking.status == BookingStatus.CANCELLED_BY_RESIDENT.value
    assert reload(Slot, slot.id).seats_taken == 0
    [message] = db.session.execute(db.select(OutboxMessage)).scalars().all()
    assert message.kind == "cancellation" and "Rendez-vous à la CAF le même jour" in message.body


# --- call-back requests -----------------------------------------------------------------------

def test_call_back_requests_appear_with_a_booking_link(client, staff, topic):
    staff()
    callback = CallbackRequest(topic_id=topic.id, first_name="Mireille", phone="+33655555555", moments="mon-am")
    db.session.add(callback)
    db.session.commit()
    page = client.get("/desk/").page
    assert "Mireille" in page and f"/desk/book?callback={callback.id}" in page
    response = submit(client, f"/desk/callbacks/{callback.id}/handled", {"back": "day", "day": "2030-07-01"},
                      form_url="/desk/")
    assert response.status_code == 302 and "/desk/?day=2030-07-01" in response.headers["Location"]
    assert reload(CallbackRequest, callback.id).handled_at is not None
    response = submit(client, f"/desk/callbacks/{callback.id}/handled", {}, form_url="/desk/")
    assert response.headers["Location"].endswith("/desk/callbacks")


def test_the_day_shows_the_oldest_call_backs_and_links_to_the_others(client, staff, topic):
    staff()
    for number in range(DAY_CALLBACKS + 3):
        db.session.add(CallbackRequest(topic_id=topic.id, first_name=f"Person{number:02d}", phone="+33655555555",
                                       created_at=datetime(2030, 1, 1, 9, number, tzinfo=timezone.utc)))
    db.session.commit()
    page = client.get("/desk/").page
    shown = sorted(set(re.findall(r"Person\d\d", page)))
    assert shown == [f"Person{number:02d}" for number in range(DAY_CALLBACKS)]
    assert "3 more requests: see them all" in page and 'href="/desk/callbacks"' in page
    every = client.get("/desk/callbacks").page
    assert all(f"Person{number:02d}" in every for number in range(DAY_CALLBACKS + 3))


# --- a fixed number of queries ---------------------------------------------------------------

def count_statements(client, url):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(statements)


def fill_day(day_start, topic, bookings, walk_ins, location, make_slot, make_booking):
    for number in range(bookings // 3):
        slot = make_slot(starts_at=day_start + timedelta(minutes=10 * number), capacity=3, location=location,
                         topics=[topic], workshop_title="Atelier")
        for seat in range(3):
            make_booking(slot, first_name=f"P{number}-{seat}", phone=f"+336{number:04d}{seat:04d}",
                         status=BookingStatus.CHECKED_IN if seat == 0 else BookingStatus.BOOKED)
    for number in range(walk_ins):
        queue.issue(db.session, day=day_start.astimezone(PARIS).date(), topic_id=topic.id, first_name=f"W{number}")


def test_the_day_view_makes_a_fixed_number_of_queries(client, staff, make_slot, make_booking, make_location,
                                                      topic):
    staff()
    place = make_location()
    small = datetime(2030, 7, 1, 7, tzinfo=timezone.utc)
    large = datetime(2030, 7, 2, 7, tzinfo=timezone.utc)
    fill_day(small, topic, 6, 1, place, make_slot, make_booking)
    fill_day(large, topic, 60, 10, place, make_slot, make_booking)
    client.get("/desk/?day=2030-07-01")  # warm the caches of settings
    few = count_statements(client, "/desk/?day=2030-07-01")
    many = count_statements(client, "/desk/?day=2030-07-02")
    assert few == many, (few, many)
    assert many <= 20


# --- the demo's day ----------------------------------------------------------------------------

def test_the_demo_brings_a_living_day_once(app, near_midnight):
    from tiers_lieu.demo import load_demo

    load_demo()
    load_demo()
    day = datetime.now(PARIS).date()
    start, end = agenda.day_bounds(day, PARIS)
    statuses = db.session.execute(
        db.select(Booking.status).join(Slot).where(Slot.starts_at >= start, Slot.starts_at < end,
                                                   Booking.booked_by_id.is_not(None))).scalars().all()
    assert statuses.count("checked_in") == 2 and statuses.count("no_show") == 1
    assert "booked" in statuses
    waiting = queue.waiting(db.session, day)
    assert [ticket.label for ticket in waiting] == ["A-001", "A-002"]
    seats = db.session.execute(db.select(db.func.sum(Slot.seats_taken))).scalar_one()
    holding = db.session.execute(db.select(db.func.count(Booking.id)).where(
        Booking.status.in_(["booked", "checked_in", "seen"]))).scalar_one()
    assert seats == holding
