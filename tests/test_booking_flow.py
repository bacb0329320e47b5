"""Residents find a slot, book it, see it, move it and cancel it, without an account."""
import re
from datetime import datetime

import pytest
from icalendar import Calendar
from sqlalchemy import event

from tiers_lieu.booking.models import Booking, BookingRules, BookingStatus, CallbackRequest, Slot
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import OutboxMessage

from .factories import PARIS, booking_form, make_slots, make_topic
from .conftest import csrf_token_from, submit

TOKEN_IN_LOCATION = re.compile(r"/booking/([A-Za-z0-9_-]+)\?new=1$")


@pytest.fixture
def topic(app):
    return make_topic()


def book(client, slot, **overrides):
    return submit(client, f"/book/slot/{slot.id}", booking_form(**overrides),
                  form_url=f"/book/slot/{slot.id}?topic=demarches")


def booked_token(response):
    assert response.status_code == 302, response.page[:2000]
    return TOKEN_IN_LOCATION.search(response.headers["Location"]).group(1)


def seats(slot):
    db.session.expire_all()
    return db.session.get(Slot, slot.id).seats_taken


def bookings():
    db.session.expire_all()
    return db.session.execute(db.select(Booking).order_by(Booking.id)).scalars().all()


def outbox():
    db.session.expire_all()
    return db.session.execute(db.select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


# --- finding a slot ---------------------------------------------------------------------

def test_home_lists_the_active_topics(client, topic):
    make_topic(slug="hidden", active=False)
    page = client.get("/").page
    assert 'href="/book/demarches"' in page
    assert "/book/hidden" not in page
    assert "/static/img/topics/demarches.svg" in page


def test_a_topic_switched_off_leaves_the_public_pages_at_once(client, topic):
    assert "/book/demarches" in client.get("/").page  # the topics are now remembered by this process
    topic.active = False
    db.session.commit()
    assert "/book/demarches" not in client.get("/").page
    assert client.get("/book/demarches").status_code == 404
    topic.active, topic.name_fr = True, "Démarches en ligne"
    db.session.commit()
    assert "Démarches en ligne" in client.get("/").page
    assert client.get("/book/demarches").status_code == 200


def test_topic_page_groups_free_slots_by_day(client, topic):
    make_slots(topic, count=2, days_ahead=2)
    make_slots(topic, count=1, days_ahead=3, capacity=6, title="Atelier smartphone")
    full = make_slots(topic, count=1, days_ahead=3, hour=15)[0]
    full.seats_taken = 1
    db.session.commit()
    page = client.get("/book/demarches").page
    assert page.count('class="day"') == 2
    assert page.count('class="slot-button"') == 3
    assert "Atelier smartphone" in page and "6 places restantes" in page
    assert f"/book/slot/{full.id}" not in page


def test_topic_page_jumps_a_week_ahead(client, topic):
    make_slots(topic, days_ahead=2)
    later = make_slots(topic, days_ahead=12)[0]
    page = client.get("/book/demarches").page
    assert f"/book/slot/{later.id}" not in page
    next_week = re.search(r'href="(/book/demarches\?from=[0-9-]+)"', page).group(1)
    page = client.get(next_week).page
    assert f"/book/slot/{later.id}" in page
    assert "Plus tôt" in page


@pytest.mark.parametrize("value", ["not-a-date", "2020-01-01", "9999-12-31", "", "2026-02-30"])
def test_odd_week_starts_are_harmless(client, topic, value):
    assert client.get(f"/book/demarches?from={value}").status_code == 200


def test_topic_without_free_slot_offers_a_call_back(client, topic):
    page = client.get("/book/demarches").page
    assert "/book/demarches/callback" in page
    assert "Il n'y a pas de créneau libre" in page


def count_queries(app, client, url):
    client.get(url)  # the same state each time: settings read once and remembered
    statements = []
    listener = lambda *args: statements.append(args[2])
    engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def test_topic_page_makes_a_fixed_number_of_queries(app, client, topic):
    make_slots(topic, count=2, days_ahead=2)
    few = count_queries(app, client, "/book/demarches")
    make_slots(topic, count=12, days_ahead=3)
    make_slots(topic, count=12, days_ahead=4, capacity=5, title="Atelier")
    many = count_queries(app, client, "/book/demarches")
    assert few == many


@pytest.mark.parametrize("url", ["/book/nope", "/book/slot/999999", "/book/slot/abc", "/booking/not-a-token",
                                 "/booking/not-a-token.ics", "/booking/x/move", "/book/nope/callback"])
def test_unknown_things_get_a_translated_404(client, topic, url):
    response = client.get(url + "?lang=en")
    assert response.status_code == 404
    assert "Page not found" in response.page


# --- booking -----------------------------------------------------------------------------

def test_booking_takes_the_seat_and_shows_the_confirmation(client, topic):
    slot = make_slots(topic)[0]
    token = booked_token(book(client, slot, note="Dossier CAF", reminder_consent="y"))
    [booking] = bookings()
    assert (booking.first_name, booking.phone, booking.note) == ("Awa", "+33612345678", "Dossier CAF")
    assert booking.reminder_consent is True and booking.status == "booked"
    assert len(booking.code) == 6 and len(token) >= 22
    assert booking.token_hash != token and token not in booking.token_hash
    assert seats(slot) == 1

    page = client.get(f"/booking/{token}?new=1").page
    code = f"{booking.code[:3]}-{booking.code[3:]}"
    assert code in page
    assert "Une pièce d'identité" in page
    assert 'src="data:image/svg+xml' in page
    assert f"/booking/{token}.ics" in page
    assert "Salle informatique" in page


def test_the_confirmation_message_is_queued_with_code_and_link(client, topic):
    slot = make_slots(topic)[0]
    token = booked_token(book(client, slot, email="Awa@Example.org", phone="", language="en"))
    [message] = outbox()
    booking = bookings()[0]
    assert (message.channel, message.recipient, message.language, message.kind) == \
        ("email", "awa@example.org", "en", "confirmation")
    assert f"{booking.code[:3]}-{booking.code[3:]}" in message.body
    assert f"http://localhost/booking/{token}" in message.body
    assert message.subject.startswith("Your appointment on")


def test_an_sms_is_queued_when_there_is_no_email(client, topic):
    slot = make_slots(topic)[0]
    book(client, slot)
    [message] = outbox()
    assert (message.channel, message.recipient) == ("sms", "+33612345678")
    assert len(message.body) <= 320


def test_calendar_file_has_the_local_time_and_time_zone(client, topic):
    slot = make_slots(topic, hour=14)[0]
    token = booked_token(book(client, slot))
    response = client.get(f"/booking/{token}.ics")
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.data)
    [event_] = calendar.walk("VEVENT")
    start = event_.decoded("dtstart")
    assert (start.hour, start.minute, str(start.tzinfo)) == (14, 0, "Europe/Paris")
    assert calendar.walk("VTIMEZONE")
    assert f"/booking/{token}" in str(event_.get("description"))


def test_double_submission_books_once(client, topic):
    slot = make_slots(topic, capacity=5, title="Atelier")[0]
    page = client.get(f"/book/slot/{slot.id}?topic=demarches").page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', page).group(1)
    data = {**booking_form(), "csrf_token": token, "request_key": key}
    first = client.post(f"/book/slot/{slot.id}", data=data)
    second = client.post(f"/book/slot/{slot.id}", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(bookings()) == 1 and seats(slot) == 1
    assert len(outbox()) == 1


@pytest.mark.parametrize("phone, email, message", [
    ("", "", "Donnez un numéro de téléphone ou une adresse e-mail"),
    ("12", "", "Ce numéro de téléphone ne semble pas correct"),
    ("06 12 34", "", "Ce numéro de téléphone ne semble pas correct"),
    ("", "not-an-email", "Cette adresse e-mail ne semble pas correcte"),
])
def test_bad_contact_details_are_explained_and_nothing_is_lost(client, topic, phone, email, message):
    slot = make_slots(topic)[0]
    response = book(client, slot, phone=phone, email=email, first_name="Fatou", note="Mon dossier")
    page = response.page
    assert response.status_code == 200
    assert message in page
    assert 'value="Fatou"' in page and "Mon dossier" in page
    assert bookings() == [] and seats(slot) == 0


@pytest.mark.parametrize("phone, stored", [
    ("0612345678", "+33612345678"),
    ("06.12.34.56.78", "+33612345678"),
    ("+33 6 12 34 56 78", "+33612345678"),
    ("+44 7911 123456", "+447911123456"),
    ("+229 01 97 12 34 56", "+2290197123456"),
])
def test_phone_numbers_are_normalised(client, topic, phone, stored):
    slot = make_slots(topic)[0]
    booked_token(book(client, slot, phone=phone))
    assert bookings()[0].phone == stored


@pytest.mark.parametrize("landline", ["04 75 00 00 00", "09 75 12 34 56", "+44 20 7946 0958"])
def test_a_landline_alone_is_refused_and_says_why(client, topic, landline):
    """Issue 11: confirmations and reminders go by SMS when there is no e-mail."""
    slot = make_slots(topic)[0]
    response = book(client, slot, phone=landline, first_name="Fatou", note="Mon dossier")
    assert response.status_code == 200
    assert "Ce numéro est un fixe : nos confirmations et rappels sont envoyés par SMS" in response.page
    assert 'value="Fatou"' in response.page and "Mon dossier" in response.page
    assert bookings() == [] and seats(slot) == 0
    english = submit(client, f"/book/slot/{slot.id}?lang=en", booking_form(phone=landline),
                     form_url=f"/book/slot/{slot.id}?topic=demarches&lang=en").page
    assert "This is a landline number" in english


def test_a_landline_with_an_e_mail_is_kept_and_messages_go_by_e_mail(client, topic):
    slot = make_slots(topic)[0]
    booked_token(book(client, slot, phone="04 75 00 00 00", email="fatou@example.org"))
    assert bookings()[0].phone == "+33475000000"
    assert [message.channel for message in outbox()] == ["email"]


NASTY = ["", " ", "a" * 5000, "<script>alert(1)</script>", "'; DROP TABLE booking; --", "\u202e\u0000x",
         "😀" * 50, "Ünïcödé", "%00", "{{ 7*7 }}"]


@pytest.mark.parametrize("value", NASTY)
@pytest.mark.parametrize("field", ["first_name", "phone", "email", "note", "language", "topic",
                                   "reminder_consent", "request_key"])
def test_nasty_values_never_cause_a_500(client, topic, field, value):
    slot = make_slots(topic, capacity=3, title="Atelier")[0]
    response = book(client, slot, **{field: value})
    assert response.status_code in (200, 302)
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page


def test_what_residents_type_is_shown_as_text_never_run(client, topic):
    slot = make_slots(topic)[0]
    token = booked_token(book(client, slot, first_name="{{ 7*7 }}<b>Awa</b>"))
    page = client.get(f"/booking/{token}").get_data(as_text=True)
    assert "{{ 7*7 }}&lt;b&gt;Awa&lt;/b&gt;" in page


def test_the_note_has_a_length_limit_and_a_visible_warning(client, topic):
    slot = make_slots(topic)[0]
    page = client.get(f"/book/slot/{slot.id}").page
    assert "N'écrivez pas d'information de santé, de mot de passe ni de numéro d'identité" in page
    assert 'maxlength="280"' in page
    response = book(client, slot, note="x" * 281)
    assert response.status_code == 200 and bookings() == []


def test_a_full_slot_gets_a_friendly_answer_with_the_next_slots(client, topic):
    slot, other = make_slots(topic, count=2)
    form_page = client.get(f"/book/slot/{slot.id}").get_data(as_text=True)
    slot.seats_taken = 1  # someone else took it while this resident was typing
    db.session.commit()
    response = client.post(f"/book/slot/{slot.id}", data={**booking_form(),
                                                           "csrf_token": csrf_token_from(form_page)})
    page = response.page
    assert response.status_code == 409
    assert "vient d'être pris" in page
    assert f"/book/slot/{other.id}" in page


@pytest.mark.parametrize("days, hour, reason", [
    (0, 0, "n'est plus disponible"),         # already started
    (-3, 10, "n'est plus disponible"),       # in the past
    (70, 10, "trop loin"),                   # beyond 8 weeks
])
def test_slots_out_of_the_window_are_refused_in_plain_words(client, topic, days, hour, reason):
    slot = make_slots(topic, days_ahead=days, hour=hour)[0]
    response = client.get(f"/book/slot/{slot.id}")
    assert response.status_code == 409
    assert reason in response.page
    posted = submit(client, f"/book/slot/{slot.id}", booking_form(), form_url="/booking")
    assert posted.status_code == 409
    assert bookings() == []


def test_minimum_notice_is_applied(client, topic):
    db.session.add(BookingRules(min_notice_minutes=60 * 24 * 5, horizon_weeks=8, change_deadline_minutes=0,
                                max_active_per_contact=2))
    db.session.commit()
    slot = make_slots(topic, days_ahead=2)[0]
    response = client.get(f"/book/slot/{slot.id}")
    assert response.status_code == 409
    assert "commence trop tôt" in response.page


def test_a_contact_may_hold_only_the_maximum_of_upcoming_bookings(client, topic):
    slots = make_slots(topic, count=3)
    booked_token(book(client, slots[0]))
    booked_token(book(client, slots[1], phone="+33 6 12 34 56 78"))
    response = book(client, slots[2], phone="06-12-34-56-78", first_name="Awa")
    assert response.status_code == 200
    assert "nombre maximum de rendez-vous" in response.page
    assert len(bookings()) == 2 and seats(slots[2]) == 0


def test_expired_form_comes_back_filled_with_a_message(client, topic):
    slot = make_slots(topic)[0]
    client.get(f"/book/slot/{slot.id}")
    response = client.post(f"/book/slot/{slot.id}", data={**booking_form(first_name="Mariam"),
                                                           "csrf_token": "expired-token"})
    page = response.page
    assert response.status_code == 400  # refused, though shown again filled
    assert 'value="Mariam"' in page
    assert "Tout ce que vous avez écrit est toujours là" in page
    assert bookings() == []


# --- managing a booking -------------------------------------------------------------------

def test_cancel_frees_the_seat_at_once_and_keeps_the_booking(client, topic):
    slot = make_slots(topic)[0]
    token = booked_token(book(client, slot))
    assert "Oui, l'annuler" in client.get(f"/booking/{token}/cancel").page
    assert seats(slot) == 1  # a GET changes nothing
    response = submit(client, f"/booking/{token}/cancel", {})
    assert response.status_code == 302
    [booking] = bookings()
    assert booking.status == BookingStatus.CANCELLED_BY_RESIDENT.value and booking.cancelled_at
    assert seats(slot) == 0
    assert [m.kind for m in outbox()] == ["confirmation", "cancellation"]
    # A second click changes nothing and says why.
    response = submit(client, f"/booking/{token}/cancel", {}, form_url="/booking")
    assert seats(slot) == 0
    assert "n'est plus actif" in client.get(response.headers["Location"]).page


def test_the_freed_seat_can_be_booked_again(client, topic):
    slot = make_slots(topic)[0]
    token = booked_token(book(client, slot))
    submit(client, f"/booking/{token}/cancel", {})
    booked_token(book(client, slot, phone="07 81 22 33 44"))
    assert seats(slot) == 1


def test_move_changes_both_seats_in_one_go(client, topic):
    old, new = make_slots(topic, count=2)
    token = booked_token(book(client, old))
    page = client.get(f"/booking/{token}/move").page
    assert f'name="slot_id" value="{new.id}"' in page
    response = submit(client, f"/booking/{token}/move", {"slot_id": str(new.id)}, form_url=f"/booking/{token}/move")
    assert response.status_code == 302
    assert (seats(old), seats(new)) == (0, 1)
    [booking] = bookings()
    assert booking.slot_id == new.id and booking.status == "booked"
    assert [m.kind for m in outbox()] == ["confirmation", "change"]


def test_moving_to_a_slot_just_taken_keeps_the_old_one(client, topic):
    old, new = make_slots(topic, count=2)
    token = booked_token(book(client, old))
    new.seats_taken = 1
    db.session.commit()
    submit(client, f"/booking/{token}/move", {"slot_id": str(new.id)}, form_url="/booking")
    assert (seats(old), seats(new)) == (1, 1)
    assert bookings()[0].slot_id == old.id


@pytest.mark.parametrize("slot_id", ["", "abc", "999999", "-1"])
def test_moving_to_nonsense_changes_nothing(client, topic, slot_id):
    old = make_slots(topic)[0]
    token = booked_token(book(client, old))
    response = submit(client, f"/booking/{token}/move", {"slot_id": slot_id}, form_url="/booking")
    assert response.status_code in (302, 400)
    assert seats(old) == 1 and bookings()[0].slot_id == old.id


def test_changes_are_refused_after_the_deadline(client, topic):
    db.session.add(BookingRules(min_notice_minutes=0, horizon_weeks=8, change_deadline_minutes=60 * 24 * 7,
                                max_active_per_contact=2))
    db.session.commit()
    slot = make_slots(topic)[0]
    token = booked_token(book(client, slot))
    submit(client, f"/booking/{token}/cancel", {}, form_url="/booking")
    assert bookings()[0].status == "booked" and seats(slot) == 1
    assert "Cancel the appointment" not in client.get(f"/booking/{token}?lang=en").page


@pytest.mark.parametrize("contact", ["06 12 34 56 78", "+33612345678", "0612345678"])
@pytest.mark.parametrize("code_format", ["{}-{}", "{}{}", " {} {} "])
def test_lookup_with_code_and_contact_leads_to_the_booking(client, topic, contact, code_format):
    slot = make_slots(topic)[0]
    token = booked_token(book(client, slot))
    code = bookings()[0].code
    typed = code_format.format(code[:3], code[3:]).lower()
    response = submit(client, "/booking", {"code": typed, "contact": contact})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/booking/{token}"


def test_lookup_by_email(client, topic):
    slot = make_slots(topic)[0]
    token = booked_token(book(client, slot, phone="", email="awa@example.org"))
    code = bookings()[0].code
    response = submit(client, "/booking", {"code": code, "contact": "AWA@example.org "})
    assert response.headers["Location"] == f"/booking/{token}"


def test_lookup_with_the_wrong_contact_says_so_plainly(client, topic):
    slot = make_slots(topic)[0]
    book(client, slot)
    code = bookings()[0].code
    response = submit(client, "/booking?lang=en", {"code": code, "contact": "06 99 99 99 99"})
    assert response.status_code == 200
    assert "We found no appointment with this code" in response.page


def test_guessing_a_code_is_rate_limited_per_code(client, topic):
    slot = make_slots(topic)[0]
    book(client, slot)
    code = bookings()[0].code
    for number in range(10):
        assert submit(client, "/booking", {"code": code, "contact": f"06 00 00 00 {number:02d}"}).status_code == 200
    assert submit(client, "/booking", {"code": code, "contact": "06 12 34 56 78"}).status_code == 429
    # Another resident at the same public computer is not locked out.
    other = make_slots(topic, days_ahead=3)[0]
    book(client, other, phone="07 81 22 33 44")
    other_code = bookings()[-1].code
    assert submit(client, "/booking", {"code": other_code, "contact": "07 81 22 33 44"}).status_code == 302


# --- call-back requests -------------------------------------------------------------------

def test_call_back_request_reaches_the_desk_and_is_flagged_when_a_seat_frees(client, topic, login_as, app):
    # A Monday-morning seat, which suits the request (issue 14: only seats that fit are flagged).
    slot = make_slots(topic, days_ahead=(7 - datetime.now(PARIS).weekday()) % 7 or 7, hour=9)[0]
    token = booked_token(book(client, slot))
    response = submit(client, "/book/demarches/callback",
                      {"first_name": "Yao", "phone": "06 98 76 54 32", "moments": ["mon-am", "thu-pm"],
                       "notify_by": "call", "language": "fr"})
    assert "Demande reçue" in response.page
    [request_] = db.session.execute(db.select(CallbackRequest)).scalars().all()
    assert (request_.phone, request_.moments) == ("+33698765432", "mon-am thu-pm")

    submit(client, f"/booking/{token}/cancel", {})
    db.session.expire_all()
    assert db.session.get(CallbackRequest, request_.id).matched_slot_id == slot.id

    staff = app.test_client()
    from .conftest import log_in
    user = login_as()
    assert log_in(staff, user.email).status_code == 302
    page = staff.get("/desk/callbacks").page
    assert "Yao" in page and "06 98 76 54 32" in page and "lundi matin" in page.lower()
    assert "une place s'est libérée" in page
    submit(staff, f"/desk/callbacks/{request_.id}/handled", {}, form_url="/desk/callbacks")
    assert "06 98 76 54 32" not in staff.get("/desk/callbacks").page


def test_call_back_requests_are_staff_only(client):
    assert client.get("/desk/callbacks").status_code == 302


def test_call_back_form_explains_bad_input(client, topic):
    response = submit(client, "/book/demarches/callback", {"first_name": "", "phone": "123", "language": "fr"})
    page = response.page
    assert response.status_code == 200
    assert "Ce numéro de téléphone ne semble pas correct" in page
    assert db.session.execute(db.select(db.func.count(CallbackRequest.id))).scalar_one() == 0


# --- the coordinator's rules --------------------------------------------------------------

def test_coordinator_sets_the_booking_rules(client, login_as):
    from tiers_lieu.accounts.models import Role
    from tiers_lieu.booking.availability import booking_rules
    login_as(Role.COORDINATOR)
    response = submit(client, "/admin/rules", {"min_notice_minutes": "60", "horizon_weeks": "4",
                                               "change_deadline_minutes": "30", "max_active_per_contact": "1",
                                               "late_grace_minutes": "15", "callback_weeks": "4"})
    assert response.status_code == 302
    rules = db.session.execute(db.select(BookingRules)).scalar_one()
    assert (rules.min_notice_minutes, rules.horizon_weeks, rules.change_deadline_minutes,
            rules.max_active_per_contact, rules.late_grace_minutes) == (60, 4, 30, 1, 15)
    assert booking_rules(db.session).late_grace_minutes == 15  # the desk sees it at once
    assert rules.callback_weeks == 4 and booking_rules(db.session).callback_weeks == 4
    bad = submit(client, "/admin/rules?lang=en", {"min_notice_minutes": "-5", "horizon_weeks": "0",
                                                  "change_deadline_minutes": "x", "max_active_per_contact": "1",
                                                  "late_grace_minutes": "-1", "callback_weeks": "4"})
    assert bad.status_code == 200
    assert bad.page.count('aria-invalid="true"') == 4
    db.session.expire_all()
    assert db.session.execute(db.select(BookingRules)).scalar_one().horizon_weeks == 4


def test_facilitators_cannot_change_the_rules(client, login_as):
    login_as()
    assert client.get("/admin/rules").status_code == 403


@pytest.mark.parametrize("value", NASTY)
@pytest.mark.parametrize("url, fields", [
    ("/booking", ("code", "contact")),
    ("/book/demarches/callback", ("first_name", "phone", "moments", "moments_note", "language")),
])
def test_nasty_values_in_the_other_resident_forms(client, topic, url, fields, value):
    for field in fields:
        data = {"code": "ACD-EFG", "contact": "06 12 34 56 78", "first_name": "Awa", "phone": "06 12 34 56 78",
                "language": "fr", field: value}
        response = submit(client, url, data)
        assert response.status_code in (200, 302), (field, response.status_code)
        assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
