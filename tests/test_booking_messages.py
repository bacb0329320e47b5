"""Residents' messages: written in their language, queued with the change, delivered by SMTP."""
import pytest

from tiers_lieu.booking.models import Booking
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import OutboxMessage

from .factories import booking_form, make_slots, make_topic
from .conftest import submit


def book(client, slot, **fields):
    response = submit(client, f"/book/slot/{slot.id}", booking_form(**fields), form_url=f"/book/slot/{slot.id}")
    assert response.status_code == 302
    return response.headers["Location"].split("/booking/")[1].split("?")[0]


def messages():
    db.session.expire_all()
    return db.session.execute(db.select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


@pytest.mark.parametrize("language, subject, greeting", [
    ("fr", "Votre rendez-vous du", "Bonjour Awa,"),
    ("en", "Your appointment on", "Hello Awa,"),
])
def test_confirmation_email_goes_out_through_smtp_in_the_resident_s_language(
        app, client, runner, smtp_server, language, subject, greeting):
    slot = make_slots(make_topic(), hour=14)[0]
    token = book(client, slot, phone="", email="awa@example.org", language=language)
    result = runner.invoke(args=["notify", "send"])
    assert "Sent 1" in result.output, result.output
    [email] = smtp_server.messages()
    assert email["To"] == "awa@example.org"
    assert email["Subject"].startswith(subject) and "14:00" in email["Subject"]
    assert email["Content-Language"] == language
    body = email.get_body(preferencelist=("plain",)).get_content()
    assert greeting in body
    code = db.session.execute(db.select(Booking.code)).scalar_one()
    assert f"{code[:3]}-{code[3:]}" in body
    assert f"http://localhost/booking/{token}" in body
    assert ("Une pièce d'identité" if language == "fr" else "An identity document") in body


def test_reminders_are_queued_once_for_those_who_asked(app, client, runner):
    topic = make_topic()
    wanted, unwanted = make_slots(topic, count=2, days_ahead=1)
    book(client, wanted, reminder_consent="y")
    book(client, unwanted, phone="07 81 22 33 44")
    other_day = make_slots(topic, days_ahead=3)[0]
    book(client, other_day, phone="06 55 44 33 22", reminder_consent="y")

    result = runner.invoke(args=["notify", "reminders"])
    assert "1 reminders queued" in result.output
    assert runner.invoke(args=["notify", "reminders"]).output.startswith("1 reminders queued")
    reminders = [m for m in messages() if m.kind == "reminder"]
    assert len(reminders) == 1
    assert reminders[0].recipient == "+33612345678"
    assert "rappel" in reminders[0].body


def test_a_cancelled_booking_gets_no_reminder(app, client, runner):
    slot = make_slots(make_topic(), days_ahead=1)[0]
    token = book(client, slot, reminder_consent="y")
    submit(client, f"/booking/{token}/cancel", {})
    assert runner.invoke(args=["notify", "reminders"]).output.startswith("0 reminders queued")


def test_a_failed_delivery_never_undoes_the_booking(app, client, runner):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)
    slot = make_slots(make_topic())[0]
    book(client, slot, phone="", email="awa@example.org")
    result = runner.invoke(args=["notify", "send"])
    assert "to retry 1" in result.output
    db.session.expire_all()
    assert db.session.execute(db.select(Booking.status)).scalar_one() == "booked"
