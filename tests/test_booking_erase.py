"""A resident deletes their own details from a booking that is over or cancelled (right to erasure):
the booking and its messages are anonymised at once, its link and code stop working, and the
statistics keep its status, slot, topic and dates."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tiers_lieu.booking.codes import format_code, hash_token, token_for
from tiers_lieu.booking.models import Booking, BookingStatus, Slot
from tiers_lieu.database import utcnow
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import MessageStatus, OutboxMessage

from .browser_helpers import assert_accessible, assert_fits_when_zoomed
from .conftest import csrf_token_from, submit
from .factories import PARIS, booking_form, make_slots, make_topic

TOKEN_IN_LOCATION = re.compile(r"/booking/([A-Za-z0-9_-]+)\?new=1$")
EMAIL = "awa.diallo@example.org"
NOTE = "Dossier CAF de ma fille"


@pytest.fixture
def topic(app):
    return make_topic()


def book(client, slot, **overrides):
    """Book the slot through the form, as a resident does; return the secret link's token."""
    response = submit(client, f"/book/slot/{slot.id}",
                      booking_form(email=EMAIL, note=NOTE, reminder_consent="y", **overrides),
                      form_url=f"/book/slot/{slot.id}?topic=demarches")
    assert response.status_code == 302, response.page[:2000]
    return TOKEN_IN_LOCATION.search(response.headers["Location"]).group(1)


def the_booking():
    db.session.expire_all()
    return db.session.execute(select(Booking)).scalar_one()


def messages_of(booking):
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.booking_id == booking.id)
                              .order_by(OutboxMessage.id)).all()


def move_into_the_past(slot):
    """The appointment took place: its slot ended an hour ago."""
    slot = db.session.get(Slot, slot.id)
    slot.starts_at, slot.ends_at = utcnow() - timedelta(hours=1, minutes=30), utcnow() - timedelta(hours=1)
    db.session.commit()


def erase(client, token):
    return submit(client, f"/booking/{token}/erase", {})


def contact_details(booking):
    return (booking.first_name, booking.phone, booking.email, booking.note, booking.token_hash,
            booking.request_key, booking.anonymised_at)


def find_with_code(client, code, contact):
    return submit(client, "/booking", {"code": code, "contact": contact})


# --- what is erased and what stays ----------------------------------------------------------------

def test_a_past_booking_is_erased_through_its_link(client, runner, smtp_server, topic):
    slot = make_slots(topic)[0]
    token = book(client, slot)
    assert runner.invoke(args=["notify", "send"]).output.startswith("Sent 1,")  # the confirmation
    move_into_the_past(slot)
    before = the_booking()
    kept = (before.id, before.status, before.slot_id, before.topic_id, before.code, before.created_at)
    code = format_code(before.code)

    page = client.get(f"/booking/{token}?lang=en").page
    assert f'href="/booking/{token}/erase"' in page
    confirmation = client.get(f"/booking/{token}/erase?lang=en")
    assert confirmation.status_code == 200
    for words in ("Your first name", "Your phone number", "Your e-mail address", "What you wrote about your request",
                  "The link to this page and your booking code: they will stop working.",
                  "The date and the topic of the appointment"):
        assert words in confirmation.page
    assert contact_details(the_booking()) == contact_details(before)  # showing it changes nothing

    response = erase(client, token)
    assert response.status_code == 302 and response.headers["Location"] == "/booking/erased"
    done = client.get("/booking/erased?lang=en")
    assert "Your details are deleted" in done.page and 'href="/"' in done.page

    booking = the_booking()
    assert contact_details(booking)[:-1] == ("", None, None, None, None, None)
    assert booking.anonymised_at is not None and booking.resident_id is None
    assert (booking.id, booking.status, booking.slot_id, booking.topic_id, booking.code, booking.created_at) == kept
    [message] = messages_of(booking)
    assert (message.recipient, message.subject, message.body, message.html_body) == ("", None, "", None)
    assert message.status == MessageStatus.SENT.value and message.anonymised_at is not None
    assert db.session.get(Slot, slot.id).seats_taken == 1  # the statistics count it as before

    assert client.get(f"/booking/{token}").status_code == 404
    assert client.get(f"/booking/{token}.ics").status_code == 404
    assert client.get(f"/booking/{token}/erase").status_code == 404
    for contact in ("06 12 34 56 78", EMAIL):
        lookup = find_with_code(client, code, contact)
        assert lookup.status_code == 200 and "Location" not in lookup.headers
        assert "We found no appointment with this code and this phone number" in lookup.page  # English: chosen above


def test_a_cancelled_upcoming_booking_can_be_erased(client, topic):
    slot = make_slots(topic, days_ahead=5)[0]
    token = book(client, slot)
    assert f'href="/booking/{token}/erase"' not in client.get(f"/booking/{token}").page
    assert submit(client, f"/booking/{token}/cancel", {}).status_code == 302
    assert the_booking().is_cancelled
    assert f'href="/booking/{token}/erase"' in client.get(f"/booking/{token}").page

    assert erase(client, token).headers["Location"] == "/booking/erased"
    booking = the_booking()
    assert booking.status == BookingStatus.CANCELLED_BY_RESIDENT.value
    assert contact_details(booking)[:-1] == ("", None, None, None, None, None)
    assert all(message.recipient == "" and message.body == "" for message in messages_of(booking))
    assert client.get(f"/booking/{token}").status_code == 404


@pytest.mark.parametrize("status", [BookingStatus.BOOKED, BookingStatus.CHECKED_IN])
def test_an_appointment_still_to_come_is_not_erased(client, make_slot, make_booking, topic, status):
    key = "an-upcoming-booking-key"
    slot = make_slot(starts_at=utcnow() + timedelta(minutes=10), topics=[topic])
    booking = make_booking(slot, status=status, email=EMAIL, note=NOTE, request_key=key,
                           token_hash=hash_token(token_for(key)))
    token = token_for(key)
    before = contact_details(booking)

    assert f'href="/booking/{token}/erase"' not in client.get(f"/booking/{token}").page
    shown = client.get(f"/booking/{token}/erase?lang=en", follow_redirects=True)
    assert shown.request.path == f"/booking/{token}"
    assert "Your appointment is still to come, so your details are still needed." in shown.page

    # The erase page is not offered: the form's token comes from another page of the same visit.
    refused = submit(client, f"/booking/{token}/erase", {}, form_url="/booking")
    assert refused.status_code == 302 and refused.headers["Location"] == f"/booking/{token}"
    page = client.get(f"/booking/{token}?lang=en").page
    assert 'class="flash flash-error" role="alert">Your appointment is still to come' in page
    assert contact_details(the_booking()) == before
    assert the_booking().status == status.value


def test_an_erasure_without_a_csrf_token_is_refused_and_changes_nothing(client, topic):
    slot = make_slots(topic)[0]
    token = book(client, slot)
    move_into_the_past(slot)
    before = contact_details(the_booking())
    queued = [(message.recipient, message.status) for message in messages_of(the_booking())]

    for data in ({}, {"csrf_token": "not-the-token"}):
        assert client.post(f"/booking/{token}/erase", data=data).status_code == 400
    assert contact_details(the_booking()) == before
    assert [(message.recipient, message.status) for message in messages_of(the_booking())] == queued
    assert client.get(f"/booking/{token}").status_code == 200


def test_erasing_twice_answers_not_found(client, topic):
    slot = make_slots(topic)[0]
    token = book(client, slot)
    move_into_the_past(slot)
    form_token = csrf_token_from(client.get(f"/booking/{token}/erase").page)

    first = client.post(f"/booking/{token}/erase", data={"csrf_token": form_token})
    second = client.post(f"/booking/{token}/erase", data={"csrf_token": form_token})
    assert first.status_code == 302
    assert second.status_code == 404 and "Page introuvable" in second.page


def test_the_messages_still_waiting_for_an_erased_booking_are_never_sent(client, runner, smtp_server, topic):
    slot = make_slots(topic, days_ahead=1)[0]
    token = book(client, slot, phone="")  # by e-mail only, so every message goes to the SMTP server
    tomorrow = slot.starts_at.astimezone(PARIS).date()
    queued = runner.invoke(args=["notify", "reminders", "--day", tomorrow.isoformat()])
    assert queued.output.startswith("1 reminders queued"), queued.output
    assert submit(client, f"/booking/{token}/cancel", {}).status_code == 302
    booking = the_booking()
    # Cancelling withdrew the reminder already; the erasure withdraws what else still waits.
    assert [(m.kind, m.status) for m in messages_of(booking)] == [
        ("confirmation", "pending"), ("reminder", "withdrawn"), ("cancellation", "pending")]

    assert erase(client, token).status_code == 302
    result = runner.invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Sent 0, to retry 0, failed 0")
    assert smtp_server.envelopes == []
    assert {m.status for m in messages_of(booking)} == {MessageStatus.WITHDRAWN.value}


def test_the_page_after_an_erasure_names_nothing_and_switches_language(client):
    page = client.get("/booking/erased").page
    assert 'href="/booking/erased?lang=en"' in page
    english = client.get("/booking/erased?lang=en").page
    assert "Your details are deleted" in english and "no longer work" in english


# --- in a real browser -------------------------------------------------------------------------------

# Written out rather than taken from the catalogue, like the other browser tests.
FRENCH = {
    "Delete my details": "Supprimer mes informations",
    "Delete your details?": "Supprimer vos informations ?",
    "Yes, delete my details": "Oui, supprimer mes informations",
    "No, keep them": "Non, les garder",
    "Your details are deleted": "Vos informations sont supprimées",
}


@pytest.mark.browser
def test_a_resident_deletes_their_details_in_french(live_server, new_page, make_booking, topic):
    key = "a-past-booking-key-for-the-browser"
    slot = make_slots(topic, days_ahead=-1)[0]
    booking = make_booking(slot, status=BookingStatus.SEEN, email=EMAIL, note=NOTE, request_key=key,
                           token_hash=hash_token(token_for(key)))
    token = token_for(key)
    page = new_page("phone", "fr-FR")

    def check_page():
        assert page.locator("html").get_attribute("lang") == "fr", page.url
        assert_accessible(page)
        assert_fits_when_zoomed(page)

    page.goto(f"{live_server}/booking/{token}")
    expect(page.locator(".booking-code")).to_have_text(format_code(booking.code))
    check_page()

    page.get_by_role("link", name=FRENCH["Delete my details"]).click()
    page.wait_for_url(f"{live_server}/booking/{token}/erase")
    expect(page.get_by_role("heading", level=1)).to_have_text(FRENCH["Delete your details?"])
    expect(page.get_by_role("link", name=FRENCH["No, keep them"])).to_be_visible()
    check_page()

    page.get_by_role("button", name=FRENCH["Yes, delete my details"]).click()
    page.wait_for_url(f"{live_server}/booking/erased")
    expect(page.get_by_role("heading", level=1)).to_have_text(FRENCH["Your details are deleted"])
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.locator("main").get_by_role("link", name="Retour à l'accueil")).to_have_attribute("href", "/")
    check_page()
    assert contact_details(the_booking())[:-1] == ("", None, None, None, None, None)

    answer = page.goto(f"{live_server}/booking/{token}")
    assert answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
