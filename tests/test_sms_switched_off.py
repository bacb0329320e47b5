"""SMS_PROVIDER=none: a centre without a text-message gateway. No SMS is offered to a resident nor
queued, whatever asks for one (a form, a forged form, a booking or a waiting request from before the
switch), the pages keep working, and texts left in the outbox fail at once with their cause."""
import re
import pytest

from tiers_lieu.booking import reservations
from tiers_lieu.booking.availability import booking_rules
from tiers_lieu.booking.models import Booking, BookingStatus, CallbackRequest, SeatOffer
from tiers_lieu.booking.reminders import queue_reminders
from tiers_lieu.core.centre import centre_timezone
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import Channel, DeliveryAttempt, MessageStatus, OutboxMessage
from tiers_lieu.notify.service import queue_sms
from tiers_lieu.notify.channels import sms_enabled
from tiers_lieu.notify.sms import SwitchedOffSmsProvider, sms_provider_from_config

from .conftest import submit
from .factories import booking_form, make_slots, make_topic
from .test_waiting_list import ask, cancel, days_until

TOKEN_IN_LOCATION = re.compile(r"/booking/([A-Za-z0-9_-]+)\?new=1$")
REMINDERS_BY_EMAIL = "Reminders are sent by e-mail: this centre does not send text messages."


@pytest.fixture
def topic(app):
    return make_topic()


@pytest.fixture
def no_texts(app):
    app.config["SMS_PROVIDER"] = "none"


def book(client, slot, lang="en", **overrides):
    return submit(client, f"/book/slot/{slot.id}?lang={lang}", booking_form(**overrides),
                  form_url=f"/book/slot/{slot.id}?lang={lang}")


def outbox():
    db.session.expire_all()
    return db.session.execute(db.select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def bookings():
    db.session.expire_all()
    return db.session.execute(db.select(Booking).order_by(Booking.id)).scalars().all()


def test_the_rule_is_the_provider_setting(app):
    assert sms_enabled(app.config)
    for provider in ("log", "http"):
        app.config["SMS_PROVIDER"] = provider
        assert sms_enabled(app.config)
    app.config["SMS_PROVIDER"] = "none"
    assert not sms_enabled(app.config)
    assert isinstance(sms_provider_from_config(app), SwitchedOffSmsProvider)
    assert queue_sms(db.session, to="+33612345678", body="Bonjour", language="fr", kind="reminder") is None
    db.session.commit()
    assert outbox() == []


# --- the booking form -----------------------------------------------------------------------

@pytest.mark.parametrize("lang, sentence", [
    ("en", REMINDERS_BY_EMAIL),
    ("fr", "Les rappels sont envoyés par e-mail : ce centre n'envoie pas de SMS."),
])
def test_the_booking_form_says_reminders_go_by_e_mail(client, topic, no_texts, lang, sentence):
    slot = make_slots(topic)[0]
    page = client.get(f"/book/slot/{slot.id}?lang={lang}").page
    assert sentence in page
    assert 'aria-describedby="reminder_consent-hint"' in page


def test_the_sentence_is_absent_while_texts_are_sent(client, topic):
    slot = make_slots(topic)[0]
    assert REMINDERS_BY_EMAIL not in client.get(f"/book/slot/{slot.id}?lang=en").page


def test_a_reminder_asked_with_a_phone_alone_is_a_form_error_never_an_sms(client, topic, no_texts):
    slot = make_slots(topic)[0]
    response = book(client, slot, reminder_consent="y")
    assert response.status_code == 200
    assert "Reminders are sent by e-mail: give an e-mail address, or untick the reminder." in response.page
    assert bookings() == [] and outbox() == []


def test_a_phone_alone_still_books_and_finds_the_booking_but_queues_nothing(client, topic, no_texts):
    slot = make_slots(topic)[0]
    response = book(client, slot)
    assert response.status_code == 302, response.page
    [booking] = bookings()
    assert booking.phone == "+33612345678" and not booking.reminder_consent
    assert outbox() == []
    found = submit(client, "/booking", {"code": booking.code, "contact": "06 12 34 56 78"})
    assert found.status_code == 302


def test_a_landline_is_no_problem_when_no_text_is_sent(client, topic, no_texts):
    slot = make_slots(topic)[0]
    assert book(client, slot, phone="04 75 00 00 00").status_code == 302
    assert bookings()[0].phone == "+33475000000" and outbox() == []


def test_with_an_e_mail_the_confirmation_and_reminder_go_by_e_mail(app, client, topic, no_texts):
    slot = make_slots(topic, days_ahead=1)[0]
    assert book(client, slot, email="awa@example.org", reminder_consent="y").status_code == 302
    [confirmation] = outbox()
    assert (confirmation.channel, confirmation.kind) == (Channel.EMAIL.value, "confirmation")
    assert queue_reminders(db.session, slot.starts_at.astimezone(centre_timezone()).date(), centre_timezone()) == 1
    assert [message.channel for message in outbox()] == [Channel.EMAIL.value] * 2


# --- bookings and waiting requests from before the switch -----------------------------------

def test_changes_cancellations_and_reminders_of_earlier_bookings_queue_no_sms(app, client, topic):
    slot, other = make_slots(topic, count=2, days_ahead=1)
    token = TOKEN_IN_LOCATION.search(book(client, slot, reminder_consent="y").headers["Location"]).group(1)
    [confirmation] = outbox()
    assert confirmation.channel == Channel.SMS.value  # texts were on when the resident booked

    app.config["SMS_PROVIDER"] = "none"
    day = slot.starts_at.astimezone(centre_timezone()).date()
    assert queue_reminders(db.session, day, centre_timezone()) == 0
    booking = bookings()[0]
    reservations.move(db.session, booking, other.id, rules=booking_rules(db.session))
    assert client.get(f"/booking/{token}?lang=en").status_code == 200
    response = submit(client, f"/booking/{token}/cancel?lang=en", {}, form_url=f"/booking/{token}/cancel?lang=en")
    assert response.status_code == 302
    assert bookings()[0].status == BookingStatus.CANCELLED_BY_RESIDENT.value
    assert outbox() == [confirmation]


def test_notify_send_fails_texts_left_from_before_the_switch_with_their_cause(app, runner, smtp_server):
    queue_sms(db.session, to="+33612345678", body="Rappel : demain 14 h.", language="fr", kind="reminder")
    db.session.commit()
    app.config["SMS_PROVIDER"] = "none"
    result = runner.invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    assert "Sent 0, to retry 0, failed 1" in result.output
    [message] = outbox()
    assert message.status == MessageStatus.FAILED.value and message.attempts == 1
    assert message.last_error == "SMS switched off (SMS_PROVIDER=none)"
    [attempt] = db.session.execute(db.select(DeliveryAttempt)).scalars().all()
    assert (attempt.ok, attempt.provider) == (False, "none")


def test_a_seat_freed_for_an_sms_request_goes_to_the_desk_not_to_a_text(app, client, topic, login_as):
    monday = make_slots(topic, days_ahead=days_until(0), hour=9)[0]
    booking = reservations.book(
        db.session, slot=reservations.load_slot(db.session, monday.id), topic_id=topic.id,
        contact=reservations.Contact(first_name="Awa", phone=None, email="awa@example.org", note=None,
                                     reminder_consent=False, language="fr"),
        rules=booking_rules(db.session))[0]
    by_text = ask(topic, moments=["mon-am"], notify_by="sms")
    app.config["SMS_PROVIDER"] = "none"
    cancel(booking)
    db.session.expire_all()
    assert db.session.execute(db.select(SeatOffer)).first() is None
    assert [message.channel for message in outbox()] == [Channel.EMAIL.value] * 2  # her own confirmation, cancellation
    assert db.session.get(CallbackRequest, by_text.id).matched_slot_id == monday.id
    login_as()
    page = client.get("/desk/callbacks?lang=en").page
    assert "asked for a text message, which the centre no longer sends: call them" in page


def test_an_e_mail_request_still_gets_its_offer(app, topic):
    monday = make_slots(topic, days_ahead=days_until(0), hour=9)[0]
    booking = reservations.book(
        db.session, slot=reservations.load_slot(db.session, monday.id), topic_id=topic.id,
        contact=reservations.Contact(first_name="Awa", phone=None, email="awa@example.org", note=None,
                                     reminder_consent=False, language="fr"),
        rules=booking_rules(db.session))[0]
    ask(topic, moments=["mon-am"], notify_by="sms", phone="+33698765401")
    by_mail = ask(topic, moments=["mon-am"], notify_by="email", email="yao@example.org", phone="+33698765402")
    app.config["SMS_PROVIDER"] = "none"
    cancel(booking)
    [offer] = db.session.execute(db.select(SeatOffer)).scalars().all()
    assert offer.request_id == by_mail.id
    assert [message.recipient for message in outbox() if message.kind == "seat_offer"] == ["yao@example.org"]


# --- the waiting list's form ----------------------------------------------------------------

def test_the_waiting_list_offers_e_mail_or_a_call_only(client, topic, no_texts):
    page = client.get("/book/demarches/callback?lang=en").page
    assert 'value="sms"' not in page and "By text message" not in page
    assert 'value="email"' in page
    assert re.search(r'<input checked id="notify_by-\d" name="notify_by" type="radio" value="call">', page)


def test_a_forged_sms_choice_is_a_form_error(client, topic, no_texts):
    response = submit(client, "/book/demarches/callback?lang=en", {
        "first_name": "Yao", "phone": "06 98 76 54 32", "notify_by": "sms", "language": "fr"})
    assert response.status_code == 200
    assert "This centre does not send text messages: choose an e-mail or a call." in response.page
    assert "Not a valid choice" not in response.page
    assert db.session.execute(db.select(CallbackRequest)).first() is None


def test_an_e_mail_choice_without_an_address_mentions_no_text_message(client, topic, no_texts):
    response = submit(client, "/book/demarches/callback?lang=en", {
        "first_name": "Yao", "phone": "06 98 76 54 32", "notify_by": "email", "language": "fr"})
    assert "Give your e-mail address, or choose a call." in response.page


def test_a_call_request_is_received(client, topic, no_texts):
    response = submit(client, "/book/demarches/callback?lang=en", {
        "first_name": "Yao", "phone": "04 75 00 00 00", "notify_by": "call", "language": "fr"})
    assert response.status_code == 200
    assert db.session.execute(db.select(CallbackRequest.notify_by)).scalar_one() == "call"


# --- the desk -------------------------------------------------------------------------------

def test_the_desk_books_a_phone_only_resident_without_a_reminder(client, login_as, no_texts):
    login_as()
    topic = make_topic()
    slot = make_slots(topic, days_ahead=3)[0]
    url = f"/desk/book?topic={topic.slug}&lang=en"
    assert REMINDERS_BY_EMAIL in client.get(url).page
    fields = {"slot": str(slot.id), "first_name": "Kossi", "phone": "06 11 22 33 44", "email": "", "note": "",
              "language": "fr", "request_key": "k" * 20}
    refused = submit(client, url, {**fields, "reminder_consent": "y"})
    assert "Reminders are sent by e-mail: give an e-mail address, or untick the reminder." in refused.page
    assert bookings() == []
    assert submit(client, url, fields).status_code == 302
    assert len(bookings()) == 1 and outbox() == []

