"""The reminder the day before, turned off and on again from the booking's own page: consent given
with the booking is withdrawn as easily as it was given, and a reminder already queued is withdrawn
with it, never sent."""
import re
from datetime import timedelta

import pytest

from tiers_lieu.booking import reservations
from tiers_lieu.booking.availability import booking_rules
from tiers_lieu.booking.models import Booking, BookingStatus
from tiers_lieu.booking.reservations import BookingRefused, Refusal
from tiers_lieu.database import utcnow
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import MessageStatus, OutboxMessage

from .conftest import submit
from .factories import PARIS, booking_form, make_slots, make_topic

TOKEN_IN_LOCATION = re.compile(r"/booking/([A-Za-z0-9_-]+)\?new=1$")
TEXT = {
    "fr": {"by_email": "Nous vous enverrons un rappel par e-mail la veille.",
           "by_sms": "Nous vous enverrons un rappel par SMS la veille.",
           "stop": "Ne plus recevoir de rappel", "start": "Recevoir un rappel la veille",
           "stopped": "C'est fait : vous ne recevrez pas de rappel pour ce rendez-vous.",
           "started": "Nous vous enverrons un rappel la veille.",
           "none": "Vous ne recevrez pas de rappel pour ce rendez-vous.",
           "no_way": "nous n'avons ni adresse e-mail ni numéro de portable"},
    "en": {"by_email": "We will send you a reminder by e-mail the day before.",
           "by_sms": "We will send you a reminder by text message the day before.",
           "stop": "Stop the reminder", "start": "Get a reminder the day before",
           "stopped": "Done: you will get no reminder for this appointment.",
           "started": "We will send you a reminder the day before.",
           "none": "You will get no reminder for this appointment.",
           "no_way": "this appointment has no e-mail address or mobile number"},
}


@pytest.fixture
def topic(app):
    return make_topic()


def book(client, slot, **fields):
    response = submit(client, f"/book/slot/{slot.id}", booking_form(**fields), form_url=f"/book/slot/{slot.id}")
    assert response.status_code == 302, response.page[:2000]
    return TOKEN_IN_LOCATION.search(response.headers["Location"]).group(1)


def the_booking():
    db.session.expire_all()
    return db.session.execute(db.select(Booking)).scalar_one()


def reminders():
    db.session.expire_all()
    return db.session.execute(db.select(OutboxMessage).where(OutboxMessage.kind == "reminder")).scalars().all()


def choose(client, token, value, lang="fr", form_url=None):
    """Press the page's reminder button (or forge it, with a token from `form_url`, when the page
    shows none), then follow to the page it leads to."""
    response = submit(client, f"/booking/{token}/reminder", {"reminder": value},
                      form_url=form_url or f"/booking/{token}?lang={lang}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/booking/{token}")
    return client.get(response.headers["Location"]).page


def queue_reminders(runner, slot):
    day = slot.starts_at.astimezone(PARIS).date().isoformat()
    result = runner.invoke(args=["notify", "reminders", "--day", day])
    assert result.exit_code == 0, result.output
    return int(result.output.split()[0])


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_resident_stops_the_reminder_and_asks_for_it_again_from_the_page(client, runner, topic, lang):
    text = TEXT[lang]
    slot = make_slots(topic, days_ahead=3)[0]
    token = book(client, slot, phone="", email="awa@example.org", reminder_consent="y", language=lang)
    page = client.get(f"/booking/{token}?lang={lang}").page
    assert text["by_email"] in page and text["stop"] in page and text["start"] not in page

    page = choose(client, token, "off", lang)
    assert text["stopped"] in page and text["none"] in page and text["start"] in page
    assert the_booking().reminder_consent is False
    assert queue_reminders(runner, slot) == 0

    page = choose(client, token, "on", lang)
    assert text["started"] in page and text["by_email"] in page
    assert the_booking().reminder_consent is True
    assert queue_reminders(runner, slot) == 1


def test_a_reminder_already_queued_is_withdrawn_never_sent_and_comes_back_if_wanted(client, runner, smtp_server,
                                                                                    topic):
    slot = make_slots(topic, days_ahead=1)[0]
    token = book(client, slot, phone="", email="awa@example.org", reminder_consent="y")
    assert queue_reminders(runner, slot) == 1

    choose(client, token, "off")
    [reminder] = reminders()
    assert reminder.status == MessageStatus.WITHDRAWN.value
    assert queue_reminders(runner, slot) == 0  # the daily job run again does not bring it back
    assert runner.invoke(args=["notify", "send"]).output.startswith("Sent 1,")  # the confirmation alone
    [confirmation] = smtp_server.messages()
    assert not confirmation["Subject"].startswith("Rappel")
    body = confirmation.get_body(preferencelist=("plain",)).get_content()
    assert "Nous vous enverrons un rappel la veille. Pour ne plus le recevoir, ouvrez le lien ci-dessous." in body

    choose(client, token, "on")
    assert [m.status for m in reminders()] == [MessageStatus.PENDING.value]
    assert runner.invoke(args=["notify", "send"]).output.startswith("Sent 1,")
    assert smtp_server.messages()[-1]["Subject"].startswith("Rappel")


def test_a_reminder_already_sent_stays_sent(app, client, runner, smtp_server, topic):
    slot = make_slots(topic, days_ahead=1)[0]
    token = book(client, slot, phone="", email="awa@example.org", reminder_consent="y")
    queue_reminders(runner, slot)
    runner.invoke(args=["notify", "send"])
    choose(client, token, "off")
    assert [m.status for m in reminders()] == [MessageStatus.SENT.value]
    choose(client, token, "on")
    assert [m.status for m in reminders()] == [MessageStatus.SENT.value]
    assert len(smtp_server.messages()) == 2  # confirmation and reminder, nothing twice


def test_by_text_message_when_the_resident_gave_a_mobile_alone(client, topic):
    token = book(client, make_slots(topic)[0], reminder_consent="y")
    assert TEXT["fr"]["by_sms"] in client.get(f"/booking/{token}").page


def test_a_phone_alone_while_texts_are_off_cannot_ask_for_one(app, client, topic):
    app.config["SMS_PROVIDER"] = "none"
    token = book(client, make_slots(topic)[0], phone="06 12 34 56 78")
    page = client.get(f"/booking/{token}").page
    assert TEXT["fr"]["none"] in page and TEXT["fr"]["start"] not in page
    page = choose(client, token, "on", form_url="/booking")  # forged, or from a page opened before the switch
    assert TEXT["fr"]["no_way"] in page
    assert the_booking().reminder_consent is False


def test_a_second_click_changes_nothing(client, topic):
    token = book(client, make_slots(topic)[0], reminder_consent="y")
    choose(client, token, "off")
    page = choose(client, token, "off")  # from a second tab, or a double tap
    assert TEXT["fr"]["stopped"] in page and 'class="flash flash-error"' not in page
    assert the_booking().reminder_consent is False
    assert the_booking().status == BookingStatus.BOOKED.value


def test_an_appointment_cancelled_or_past_keeps_its_choice_and_shows_no_button(app, client, make_booking):
    slot = make_slots(make_topic(), days_ahead=2)[0]
    token = book(client, slot, reminder_consent="y")
    submit(client, f"/booking/{token}/cancel", {})
    page = client.get(f"/booking/{token}").page
    assert 'id="reminder-title"' not in page and TEXT["fr"]["stop"] not in page
    page = choose(client, token, "off", form_url="/booking")  # from a page opened before cancelling
    assert "n'est plus actif" in page
    assert the_booking().reminder_consent is True

    booking = the_booking()
    with pytest.raises(BookingRefused) as refused:
        reservations.set_reminder(db.session, booking, False, now=slot.starts_at + timedelta(minutes=1))
    assert refused.value.reason is Refusal.NOT_ACTIVE


def test_the_appointment_started_is_too_late_to_change_it(app, make_booking):
    slot = make_slots(make_topic(), days_ahead=1)[0]
    booking = make_booking(slot, reminder_consent=True)
    with pytest.raises(BookingRefused) as refused:
        reservations.set_reminder(db.session, booking, False, now=slot.starts_at)
    assert refused.value.reason is Refusal.NOT_ACTIVE
    db.session.rollback()
    assert reservations.set_reminder(db.session, booking, False, now=utcnow()).reminder_consent is False


@pytest.mark.parametrize("value", ["", "yes", "1", "on " * 2000, None])
def test_a_malformed_choice_is_a_400_and_changes_nothing(client, topic, value):
    token = book(client, make_slots(topic)[0], reminder_consent="y")
    data = {} if value is None else {"reminder": value}
    response = submit(client, f"/booking/{token}/reminder", data, form_url=f"/booking/{token}")
    assert response.status_code == 400 and "La demande n'a pas pu être comprise" in response.page
    assert the_booking().reminder_consent is True


def test_without_the_secret_link_or_the_form_token_nothing_changes(client, topic):
    token = book(client, make_slots(topic)[0], reminder_consent="y")
    assert submit(client, "/booking/not-a-real-token/reminder", {"reminder": "off"},
                  form_url=f"/booking/{token}").status_code == 404
    assert client.post(f"/booking/{token}/reminder", data={"reminder": "off"}).status_code == 400
    assert client.get(f"/booking/{token}/reminder").status_code == 405
    assert the_booking().reminder_consent is True


def test_a_queued_reminder_follows_its_booking_moved_away_back_and_cancelled(client, runner, topic):
    tomorrow = make_slots(topic, days_ahead=1)[0]
    later = make_slots(topic, days_ahead=3)[0]
    token = book(client, tomorrow, phone="", email="awa@example.org", reminder_consent="y")
    assert queue_reminders(runner, tomorrow) == 1

    assert submit(client, f"/booking/{token}/move", {"slot_id": later.id}).status_code == 302
    assert [m.status for m in reminders()] == [MessageStatus.WITHDRAWN.value]  # not "see you tomorrow"
    assert queue_reminders(runner, tomorrow) == 0

    assert submit(client, f"/booking/{token}/move", {"slot_id": tomorrow.id}).status_code == 302
    assert queue_reminders(runner, tomorrow) == 1  # the same reminder, back in the queue
    assert [m.status for m in reminders()] == [MessageStatus.PENDING.value]

    assert submit(client, f"/booking/{token}/cancel", {}).status_code == 302
    assert [m.status for m in reminders()] == [MessageStatus.WITHDRAWN.value]
    assert queue_reminders(runner, tomorrow) == 0


@pytest.mark.parametrize("by", ["centre", "desk", "opening hours"])
def test_a_booking_the_centre_cancels_loses_its_queued_reminder(app, runner, make_booking, by):
    slot = make_slots(make_topic(), days_ahead=1)[0]
    booking = make_booking(slot, email="awa@example.org", reminder_consent=True, request_key="r" * 32)
    assert queue_reminders(runner, slot) == 1
    if by == "opening hours":
        assert reservations.cancel_for_removed_slot(db.session, booking, reason="Salle fermée") is not None
        db.session.commit()
    else:
        reservations.cancel(db.session, booking, rules=booking_rules(db.session), by_centre=by == "centre",
                            by_staff=by == "desk", reason="Salle fermée")
    assert [m.status for m in reminders()] == [MessageStatus.WITHDRAWN.value]
    assert queue_reminders(runner, slot) == 0
