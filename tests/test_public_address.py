"""Links that leave the page (QR code, calendar file, messages) point at the address residents use.

Issue 11: with `make run PORT=5055` they pointed at port 5000. In development they follow the
address the page was served on; in production they are the configured address, whatever the
request's Host header says.
"""
import pytest
from icalendar import Calendar

from tiers_lieu.booking.calendar import qr_svg_data_uri
from tiers_lieu.booking.messages import manage_url
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import OutboxMessage

from .factories import booking_form, make_slots, make_topic
from .conftest import csrf_token_from
from .test_booking_flow import booked_token

SERVED = "http://127.0.0.1:5055"


def book_on(client, base_url, **overrides):
    slot = make_slots(make_topic())[0]
    form = client.get(f"/book/slot/{slot.id}?topic=demarches", base_url=base_url)
    data = {"csrf_token": csrf_token_from(form.page), **booking_form(**overrides)}
    return booked_token(client.post(f"/book/slot/{slot.id}", data=data, base_url=base_url))


def calendar_url(client, token, base_url):
    response = client.get(f"/booking/{token}.ics", base_url=base_url)
    event = next(iter(Calendar.from_ical(response.data).walk("VEVENT")))
    return str(event["URL"])


def outbox_bodies():
    db.session.expire_all()
    return [message.body for message in db.session.execute(db.select(OutboxMessage)).scalars()]


def test_in_development_links_follow_the_port_the_page_is_served_on(app, client):
    app.config["PUBLIC_URL"] = None  # development's default: no address configured
    token = book_on(client, SERVED, email="awa@example.org")
    link = f"{SERVED}/booking/{token}"

    page = client.get(f"/booking/{token}", base_url=SERVED).page
    assert qr_svg_data_uri(link) in page
    assert calendar_url(client, token, SERVED) == link
    assert any(link in body for body in outbox_bodies()), "the confirmation e-mail carries the served address"


def test_in_development_the_address_is_the_one_of_each_request(app, client):
    """A phone on the local network reads the QR code from the address it was shown on."""
    app.config["PUBLIC_URL"] = None
    token = book_on(client, SERVED)
    on_the_network = "http://192.168.1.20:5000"
    page = client.get(f"/booking/{token}", base_url=on_the_network).page
    assert qr_svg_data_uri(f"{on_the_network}/booking/{token}") in page


def test_outside_a_request_development_links_use_the_development_server(app):
    app.config["PUBLIC_URL"] = None
    with app.app_context():
        assert manage_url("abc") == "http://127.0.0.1:5000/booking/abc"


@pytest.mark.parametrize("configured", ["https://rdv.example.org", "https://rdv.example.org/"])
def test_a_configured_address_wins_over_the_host_header(app, client, configured):
    """Anyone can write a Host header: production's links never follow it."""
    app.config["PUBLIC_URL"] = configured
    token = book_on(client, "http://evil.example.com", email="awa@example.org")
    link = f"https://rdv.example.org/booking/{token}"

    page = client.get(f"/booking/{token}", base_url="http://evil.example.com").page
    assert qr_svg_data_uri(link) in page
    assert "evil.example.com" not in page
    assert calendar_url(client, token, "http://evil.example.com") == link
    bodies = outbox_bodies()
    assert any(link in body for body in bodies) and not any("evil" in body for body in bodies)
    with app.app_context():
        assert manage_url(token) == link


def test_a_configured_address_under_a_path_keeps_its_path(app, client):
    app.config["PUBLIC_URL"] = "https://example.org/rendez-vous"
    with app.app_context():
        assert manage_url("abc") == "https://example.org/rendez-vous/booking/abc"
    security = client.get("/.well-known/security.txt").page
    assert "Canonical: https://example.org/rendez-vous/.well-known/security.txt" in security
