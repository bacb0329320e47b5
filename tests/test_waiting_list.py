"""A waiting list that works by itself (issue 14): a freed seat is offered, by message, to the oldest
call-back request it fits, and booked from the link in one tap; requests that asked for a call are
shown to the desk with the seats that fit them only."""
import re
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import event

from tiers_lieu.accounts.models import Role
from tiers_lieu.booking import callbacks, offers, reservations
from tiers_lieu.booking.availability import booking_rules
from tiers_lieu.booking.models import Booking, BookingRules, CallbackRequest, SeatOffer
from tiers_lieu.database import utcnow
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import OutboxMessage

from .conftest import csrf_token_from, submit
from .factories import PARIS, booking_form, make_slots, make_topic

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def days_until(weekday, at_least=2):
    """Days from today (Paris) to the next `weekday` (0: Monday) at least `at_least` days away."""
    days = (weekday - datetime.now(PARIS).weekday()) % 7
    return days + 7 if days < at_least else days


@pytest.fixture
def topic(app):
    return make_topic()


@pytest.fixture
def monday_and_thursday(topic):
    """A Monday-morning and a Thursday-morning slot, each of one seat, within the next two weeks."""
    monday = make_slots(topic, days_ahead=days_until(0), hour=9)[0]
    thursday = make_slots(topic, days_ahead=days_until(3), hour=9)[0]
    return monday, thursday


def ask(topic, moments=("mon-am",), notify_by="sms", phone="+33698765432", email=None, language="fr",
        first_name="Yao"):
    return callbacks.receive(db.session, topic_id=topic.id, first_name=first_name, phone=phone, language=language,
                             moments=moments, notify_by=notify_by, email=email)


def book_directly(client, slot, phone="06 12 34 56 78"):
    response = submit(client, f"/book/slot/{slot.id}", booking_form(phone=phone), form_url=f"/book/slot/{slot.id}")
    assert response.status_code == 302, response.page
    return db.session.execute(db.select(Booking).where(Booking.slot_id == slot.id)
                              .order_by(Booking.id.desc())).scalars().first()


def noon(days_ahead=0):
    """Noon in Valence, inside the sending hours."""
    day = datetime.now(PARIS).date() + timedelta(days=days_ahead)
    return datetime.combine(day, time(12), tzinfo=PARIS).astimezone(timezone.utc)


def cancel(booking, now=None):
    reservations.cancel(db.session, booking, rules=booking_rules(db.session), now=now or noon())


def offers_made():
    db.session.expire_all()
    return db.session.execute(db.select(SeatOffer).order_by(SeatOffer.id)).scalars().all()


def offer_messages():
    db.session.expire_all()
    return db.session.execute(db.select(OutboxMessage).where(OutboxMessage.kind == "seat_offer")
                              .order_by(OutboxMessage.id)).scalars().all()


def offer_link(message):
    return re.search(r"http://localhost(/offer/[A-Za-z0-9_-]+)\?lang=(\w+)", message.body)


# --- matching -----------------------------------------------------------------------------------

def test_a_monday_morning_request_is_offered_a_monday_seat_and_not_a_thursday_one(client, topic,
                                                                                  monday_and_thursday):
    monday, thursday = monday_and_thursday
    on_thursday = book_directly(client, thursday)
    on_monday = book_directly(client, monday, phone="06 12 34 56 79")
    request = ask(topic, moments=["mon-am"])

    cancel(on_thursday)
    assert offers_made() == [] and offer_messages() == []

    cancel(on_monday)
    [offer] = offers_made()
    assert (offer.request_id, offer.slot_id) == (request.id, monday.id)
    [message] = offer_messages()
    assert (message.channel, message.recipient, message.language) == ("sms", "+33698765432", "fr")
    assert "Une place est libre" in message.body or "une place est libre" in message.body
    assert offer_link(message)
    assert db.session.get(CallbackRequest, request.id).offers_sent == 1


def test_an_empty_availability_means_any_time(client, topic, monday_and_thursday):
    _monday, thursday = monday_and_thursday
    booking = book_directly(client, thursday)
    request = ask(topic, moments=[])
    cancel(booking)
    assert [offer.request_id for offer in offers_made()] == [request.id]


def test_the_oldest_fitting_request_is_offered_the_seat_and_only_once(client, topic, monday_and_thursday):
    monday, _thursday = monday_and_thursday
    first = book_directly(client, monday)
    older = ask(topic, moments=["mon-am"], phone="+33698765401")
    ask(topic, moments=["mon-am"], phone="+33698765402")
    cancel(first)
    assert [offer.request_id for offer in offers_made()] == [older.id]
    # The seat taken again and freed again: the next request, not the same one twice.
    again = book_directly(client, monday, phone="06 12 34 56 77")
    cancel(again)
    assert len({offer.request_id for offer in offers_made()}) == 2


def test_the_offer_is_queued_in_the_cancellation_s_transaction(client, topic, monday_and_thursday):
    monday, _thursday = monday_and_thursday
    booking = book_directly(client, monday)
    ask(topic)
    calls = []
    original = db.session.commit

    def counting_commit():
        calls.append((len(offers_made_now()), len(messages_now())))
        return original()

    def offers_made_now():
        return db.session.execute(db.select(SeatOffer.id)).all()

    def messages_now():
        return db.session.execute(db.select(OutboxMessage.id).where(OutboxMessage.kind == "seat_offer")).all()

    db.session.commit = counting_commit
    try:
        cancel(booking)
    finally:
        del db.session.commit
    assert calls == [(1, 1)]  # one commit, and the offer and its message were in it


def test_requests_that_asked_for_a_call_are_flagged_for_the_desk_with_fitting_seats_only(
        client, topic, monday_and_thursday, login_as):
    monday, thursday = monday_and_thursday
    on_thursday, on_monday = book_directly(client, thursday), book_directly(client, monday, phone="06 12 34 56 79")
    request = ask(topic, moments=["mon-am"], notify_by="call")
    cancel(on_thursday)
    db.session.expire_all()
    assert db.session.get(CallbackRequest, request.id).matched_slot_id is None
    cancel(on_monday)
    db.session.expire_all()
    assert db.session.get(CallbackRequest, request.id).matched_slot_id == monday.id
    assert offers_made() == []  # the desk calls; no message
    login_as()
    page = client.get("/desk/callbacks").page
    assert "souhaite un appel" in page and "une place s'est libérée" in page


def test_no_offer_for_a_slot_within_the_minimum_notice(client, topic):
    soon = make_slots(topic, days_ahead=0, hour=23)[0]
    booking = reservations.book(db.session, slot=reservations.load_slot(db.session, soon.id), topic_id=topic.id,
                                contact=reservations.Contact(first_name="Awa", phone="+33612345678"),
                                rules=booking_rules(db.session), now=noon(-1))  # booked the day before
    ask(topic, moments=[])
    # Three hours before the slot, within two hours of notice... the minimum notice is 2 h.
    starts = soon.starts_at
    cancel(booking[0], now=starts - timedelta(minutes=90))
    assert offers_made() == []


def test_at_most_three_offers_per_request(client, topic):
    slots = make_slots(topic, count=4, days_ahead=days_until(0), hour=9)  # Monday 9:00 to 10:30
    bookings = [book_directly(client, slot, phone=f"06 12 34 56 {70 + number}") for number, slot in enumerate(slots)]
    request = ask(topic, moments=["mon-am"])
    for booking in bookings:
        cancel(booking)
    assert len(offers_made()) == 3
    assert db.session.get(CallbackRequest, request.id).offers_sent == 3


def test_a_request_ends_after_the_weeks_the_rules_say(client, topic, monday_and_thursday):
    monday, _thursday = monday_and_thursday
    booking = book_directly(client, monday)
    request = ask(topic, moments=[])
    request.created_at = utcnow() - timedelta(weeks=7)  # the default rules end it after 6
    db.session.commit()
    cancel(booking)
    assert offers_made() == []
    rules = booking_rules(db.session)
    assert callbacks.oldest_waiting(db.session, 10, rules, utcnow()) == ([], 0)


def test_an_erased_request_is_offered_nothing(client, topic, monday_and_thursday):
    monday, _thursday = monday_and_thursday
    booking = book_directly(client, monday)
    request = ask(topic, moments=[], notify_by="email", email="yao@example.org")
    callbacks.anonymise(db.session, [request.id], utcnow())  # the person's details erased (privacy/)
    db.session.commit()
    cancel(booking)
    assert offers_made() == [] and offer_messages() == []
    assert db.session.get(CallbackRequest, request.id).email is None


def test_offers_wait_for_the_sending_hours():
    from zoneinfo import ZoneInfo
    tz = ZoneInfo("Europe/Paris")
    evening = datetime(2026, 12, 7, 21, 30, tzinfo=tz)
    assert offers.sending_time(evening.astimezone(timezone.utc), tz) == datetime(2026, 12, 8, 9, tzinfo=tz)
    night = datetime(2026, 12, 8, 6, 0, tzinfo=tz)
    assert offers.sending_time(night.astimezone(timezone.utc), tz) == datetime(2026, 12, 8, 9, tzinfo=tz)
    afternoon = datetime(2026, 12, 8, 15, 0, tzinfo=tz).astimezone(timezone.utc)
    assert offers.sending_time(afternoon, tz) == afternoon
    assert offers.sending_time(datetime(2026, 12, 8, 19, 0, tzinfo=tz), tz) == datetime(2026, 12, 9, 9, tzinfo=tz)


def test_a_seat_freed_in_the_evening_is_offered_the_next_morning(client, topic, monday_and_thursday):
    monday, _thursday = monday_and_thursday
    booking = book_directly(client, monday)
    ask(topic)
    evening = datetime.combine(datetime.now(PARIS).date(), time(21, 30), tzinfo=PARIS).astimezone(timezone.utc)
    cancel(booking, now=evening)
    [message] = offer_messages()
    assert message.next_attempt_at.astimezone(PARIS).time() == time(9, 0)
    assert message.next_attempt_at > evening


def test_a_new_slot_from_the_opening_hours_is_offered(app, topic, make_rule):
    from datetime import date

    from tiers_lieu.booking import opening
    request = ask(topic, moments=[])
    # Opening hours three days from now, from today on: their first slots are within two weeks.
    day = datetime.now(PARIS).date() + timedelta(days=3)
    make_rule(topics=[topic], weekday=day.weekday(), valid_from=date.today())
    opening.resync(db.session)
    made = offers_made()
    assert made and made[0].request_id == request.id
    assert made[0].slot.starts_at - utcnow() < offers.OFFER_WITHIN


def test_matching_is_one_statement_whatever_the_number_of_requests(app, client, topic, monday_and_thursday):
    monday, thursday = monday_and_thursday
    counts = []
    for waiting in (1, 300):
        db.session.execute(db.delete(SeatOffer))
        db.session.execute(db.delete(CallbackRequest))
        db.session.commit()
        for number in range(waiting):  # Thursday requests: none fits the Monday seat
            ask(topic, moments=["thu-pm"], phone=f"+336987{number:05d}")
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            offers.seat_freed(db.session, reservations.load_slot(db.session, monday.id), booking_rules(db.session),
                              noon())
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        db.session.rollback()
        counts.append(len([sql for sql in statements if "callback_request" in sql]))
    assert counts == [2, 2]  # the desk's flag (one UPDATE) and the offer's match (one SELECT)


def test_the_match_reads_the_open_requests_index(app, topic, monday_and_thursday):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan is read from SQLite's EXPLAIN QUERY PLAN")
    monday, _thursday = monday_and_thursday
    ask(topic, moments=["thu-pm"])
    seen = []
    listener = lambda _conn, _cursor, statement, parameters, *rest: seen.append((statement, parameters))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        offers.seat_freed(db.session, reservations.load_slot(db.session, monday.id), booking_rules(db.session), noon())
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    statement, parameters = next((sql, params) for sql, params in seen
                                 if sql.lstrip().startswith("SELECT") and "FROM callback_request" in sql)
    plan = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    db.session.rollback()
    assert "ix_callback_request_open" in " ".join(str(row) for row in plan)


# --- the offer's link ---------------------------------------------------------------------------

@pytest.fixture
def offered(client, topic, monday_and_thursday):
    """A Monday seat offered to Yao by SMS; returns (link path, the monday slot, the request)."""
    monday, _thursday = monday_and_thursday
    booking = book_directly(client, monday)
    request = ask(topic)
    cancel(booking)
    [message] = offer_messages()
    return offer_link(message).group(1), monday, request


def test_the_link_books_the_seat_in_one_tap_and_a_second_tap_shows_that_booking(client, offered):
    path, monday, request = offered
    page = client.get(path).page
    assert "Une place est libre pour vous" in page and "Réserver cette place" in page
    token = csrf_token_from(page)
    first = client.post(path, data={"csrf_token": token, "slot_id": monday.id})
    assert first.status_code == 302 and "/booking/" in first.headers["Location"]
    booking = db.session.execute(db.select(Booking).where(Booking.phone == "+33698765432")).scalar_one()
    assert (booking.slot_id, booking.first_name, booking.status) == (monday.id, "Yao", "booked")
    again = client.post(path, data={"csrf_token": token, "slot_id": monday.id})
    assert again.headers["Location"].split("?")[0] == first.headers["Location"].split("?")[0]
    assert client.get(path).headers["Location"].split("?")[0] == first.headers["Location"].split("?")[0]
    db.session.expire_all()
    ended = db.session.get(CallbackRequest, request.id)
    assert (ended.end_reason, offers_made()[0].booking_id) == ("booked", booking.id)
    assert db.session.execute(db.select(db.func.count(Booking.id)).where(Booking.phone == "+33698765432")).scalar() == 1


def test_a_seat_taken_first_by_someone_else_says_so_and_shows_the_next_fitting_times(client, topic, offered):
    path, monday, _request = offered
    later = make_slots(topic, days_ahead=days_until(0) + 7, hour=10)[0]  # another Monday morning
    make_slots(topic, days_ahead=days_until(3) + 7, hour=10)  # a Thursday: does not fit
    page = client.get(path).page
    book_directly(client, monday, phone="06 11 11 11 11")
    response = client.post(path, data={"csrf_token": csrf_token_from(page), "slot_id": monday.id})
    assert response.status_code == 409
    assert "Cette place vient d'être prise" in response.page
    assert f'name="slot_id" value="{later.id}"' in response.page
    assert response.page.count('name="slot_id"') == 1  # the Thursday slot is not offered
    booked = client.post(path, data={"csrf_token": csrf_token_from(response.page), "slot_id": later.id})
    assert booked.status_code == 302
    assert db.session.execute(db.select(Booking.slot_id).where(Booking.phone == "+33698765432")).scalar() == later.id


def test_a_slot_that_does_not_fit_cannot_be_booked_through_the_link(client, topic, offered):
    path, _monday, _request = offered
    thursday_later = make_slots(topic, days_ahead=days_until(3) + 7, hour=10)[0]
    page = client.get(path).page
    response = client.post(path, data={"csrf_token": csrf_token_from(page), "slot_id": thursday_later.id})
    assert response.status_code == 409
    assert db.session.execute(db.select(Booking).where(Booking.phone == "+33698765432")).first() is None


def test_a_tampered_link_is_refused_in_plain_words(client, offered):
    path, _monday, _request = offered
    tampered = path[:-1] + ("A" if path[-1] != "A" else "B")
    for link in (tampered, path[:-5], "/offer/" + "x" * 300):
        response = client.get(link)
        assert response.status_code == 404, link
        assert "Ce lien ne fonctionne pas" in response.page
        assert client.post(link, data={"slot_id": "1"}).status_code in (400, 404)
    assert db.session.execute(db.select(Booking).where(Booking.phone == "+33698765432")).first() is None


def test_a_withdrawn_request_gets_no_more_offers_and_its_link_says_so(client, topic, offered):
    path, monday, request = offered
    page = client.get(path).page
    done = client.post(path, data={"csrf_token": csrf_token_from(page), "action": "withdraw"})
    assert done.status_code == 200 and "Demande retirée" in done.page
    db.session.expire_all()
    assert db.session.get(CallbackRequest, request.id).end_reason == "withdrawn"
    assert "Vous avez retiré votre demande" in client.get(path).page
    again = client.post(path, data={"csrf_token": csrf_token_from(page), "action": "withdraw"})
    assert again.status_code == 200 and "Vous avez retiré votre demande" in again.page
    other = make_slots(topic, days_ahead=days_until(0) + 7, hour=11)[0]
    cancel(book_directly(client, other, phone="06 22 22 22 22"))
    assert len(offers_made()) == 1


def test_the_link_obeys_the_per_contact_booking_cap(client, topic, offered):
    path, monday, _request = offered
    for number in range(2):  # the default cap: two upcoming bookings per phone number
        book_directly(client, make_slots(topic, days_ahead=5 + number, hour=15)[0], phone="06 98 76 54 32")
    page = client.get(path).page
    response = client.post(path, data={"csrf_token": csrf_token_from(page), "slot_id": monday.id})
    assert response.status_code == 409
    assert "déjà" in response.page  # "you already have … appointments"


def test_the_offer_arrives_in_the_person_s_language(client, topic, monday_and_thursday):
    monday, _thursday = monday_and_thursday
    booking = book_directly(client, monday)
    ask(topic, language="ar", notify_by="email", email="yao@example.org")
    cancel(booking)
    [message] = offer_messages()
    assert (message.channel, message.recipient, message.language) == ("email", "yao@example.org", "ar")
    assert re.search(r"[\u0600-\u06ff]{4}", message.body) and re.search(r"[\u0600-\u06ff]{4}", message.subject)
    assert offer_link(message).group(2) == "ar"
    page = client.get(offer_link(message).group(1) + "?lang=ar").page
    assert '<html lang="ar" dir="rtl">' in page


# --- the call-back form --------------------------------------------------------------------------

def test_the_form_records_how_and_when_and_says_any_time_when_nothing_is_ticked(client, topic):
    response = submit(client, "/book/demarches/callback", {
        "first_name": "Yao", "phone": "06 98 76 54 32", "notify_by": "email", "email": "Yao@Example.org",
        "language": "fr"})
    assert response.status_code == 200 and "n'importe quand" in response.page
    request = db.session.execute(db.select(CallbackRequest)).scalar_one()
    assert (request.notify_by, request.email, request.moment_mask) == ("email", "yao@example.org", 0)
    assert "e-mail" in response.page


def test_an_email_offer_needs_an_address(client, topic):
    response = submit(client, "/book/demarches/callback", {
        "first_name": "Yao", "phone": "06 98 76 54 32", "notify_by": "email", "language": "fr"})
    assert "Donnez votre adresse e-mail" in response.page
    assert db.session.execute(db.select(CallbackRequest)).first() is None


def test_moments_become_the_bits_the_match_reads(client, topic):
    submit(client, "/book/demarches/callback", {
        "first_name": "Yao", "phone": "06 98 76 54 32", "moments": ["mon-am", "thu-pm"], "notify_by": "call",
        "language": "fr"})
    request = db.session.execute(db.select(CallbackRequest)).scalar_one()
    assert request.moment_mask == callbacks.MOMENT_BITS["mon-am"] | callbacks.MOMENT_BITS["thu-pm"]


def test_a_sunday_slot_fits_only_requests_for_any_time():
    from zoneinfo import ZoneInfo
    sunday = datetime(2026, 12, 6, 10, tzinfo=ZoneInfo("Europe/Paris"))
    assert callbacks.slot_moment_bit(sunday, ZoneInfo("Europe/Paris")) == 0
    monday_afternoon = datetime(2026, 12, 7, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert callbacks.slot_moment_bit(monday_afternoon, ZoneInfo("Europe/Paris")) == callbacks.MOMENT_BITS["mon-pm"]


# --- what the centre sees -----------------------------------------------------------------------

def test_the_statistics_count_offers_sent_taken_and_expired(client, topic, offered, login_as):
    path, monday, _request = offered
    other_request = ask(topic, phone="+33698765499", first_name="Ana")
    later = make_slots(topic, days_ahead=days_until(0) + 7, hour=9)[0]
    cancel(book_directly(client, later, phone="06 33 33 33 33"))
    page = client.get(path).page
    client.post(path, data={"csrf_token": csrf_token_from(page), "slot_id": monday.id})  # Yao takes it
    callbacks.end(db.session, other_request.id, "withdrawn", utcnow())  # Ana's offer expires
    db.session.commit()
    login_as(Role.COORDINATOR)
    stats = client.get("/stats/?lang=en").page
    row = lambda label: re.search(rf"{re.escape(label)}</t[hd]>\s*<td[^>]*>(\d+)", stats).group(1)  # noqa: E731
    assert (row("Freed seats offered by message"), row("Offers taken (booked from the link)"),
            row("Offers expired without being taken")) == ("2", "1", "1")


def test_the_rules_say_after_how_many_weeks_a_request_ends(client, login_as):
    login_as(Role.COORDINATOR)
    response = submit(client, "/admin/rules", {"min_notice_minutes": "120", "horizon_weeks": "8",
                                               "change_deadline_minutes": "0", "max_active_per_contact": "2",
                                               "late_grace_minutes": "10", "callback_weeks": "0"})
    assert response.status_code == 200
    assert db.session.execute(db.select(BookingRules)).first() is None


def test_ended_and_long_waiting_requests_are_purged_like_the_rest(app, topic):
    from tiers_lieu.privacy import purge
    now = utcnow()
    withdrawn = ask(topic, phone="+33698765401")
    waiting = ask(topic, phone="+33698765402")
    recent = ask(topic, phone="+33698765403")
    # Withdrawn seven months ago; received long enough ago to have ended by itself six months ago.
    callbacks.end(db.session, withdrawn.id, "withdrawn", now - timedelta(days=7 * 31))
    waiting.created_at = now - timedelta(days=6 * 31) - timedelta(weeks=booking_rules(db.session).callback_weeks + 2)
    db.session.commit()
    assert purge.purge(db.session, now=now)["callbacks"] == 2
    db.session.expire_all()
    assert [db.session.get(CallbackRequest, request.id).phone for request in (withdrawn, waiting, recent)] == [
        "", "", "+33698765403"]
