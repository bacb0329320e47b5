"""Messages staff can see: a failed SMS on the desk's row and in /admin/messages, sending one
again, marking one as handled, the facilitators' panel, and the SMS sent per month."""
import threading
from datetime import timedelta

import pytest

from tiers_lieu.accounts.models import Role
from tiers_lieu.database import utcnow
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import MessageStatus, OutboxMessage
from tiers_lieu.notify.service import MAX_ATTEMPTS, deliver_pending, queue_email
from tiers_lieu.notify.sms import HttpSmsProvider

from .conftest import csrf_token_from, submit
from .factories import booking_form, make_slots, make_topic
from .test_notify import SmsGateway

FAILED_ON_ROW = "Non distribué : Confirmation (SMS). Appelez la personne."


@pytest.fixture
def failing_gateway():
    gateway = SmsGateway()
    gateway.status = 503
    thread = threading.Thread(target=gateway.serve_forever, daemon=True)
    thread.start()
    yield gateway
    gateway.shutdown()
    gateway.server_close()
    thread.join()


def book(client, slot, **fields):
    response = submit(client, f"/book/slot/{slot.id}", booking_form(**fields))
    assert response.status_code == 302, response.page
    return db.session.execute(db.select(OutboxMessage).order_by(OutboxMessage.id.desc())).scalars().first()


def deliver_until_failed(gateway):
    """Every try the outbox makes, each when it is due, against a gateway answering 503."""
    sender = HttpSmsProvider(url=gateway.url, token="t", sender_name="MPT", timeout=5)
    now = utcnow()
    for _ in range(MAX_ATTEMPTS):
        deliver_pending(db.session, now=now, email_sender=None, sms_sender=sender)
        now += timedelta(hours=13)


def message(message_id):
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


@pytest.fixture
def failed_sms(app, failing_gateway):
    slot = make_slots(make_topic(), days_ahead=2, hour=10)[0]
    sms = book(app.test_client(), slot)
    assert sms.channel == "sms" and sms.kind == "confirmation"
    deliver_until_failed(failing_gateway)
    assert message(sms.id).status == MessageStatus.FAILED.value
    return sms.id, slot


def desk_day(client, slot):
    return client.get(f"/desk/?day={slot.starts_at.date().isoformat()}").page


def test_a_failed_sms_shows_on_the_desk_row_and_in_the_admin_list(app, client, login_as, failed_sms):
    message_id, slot = failed_sms
    login_as(Role.COORDINATOR)
    assert FAILED_ON_ROW in desk_day(client, slot)
    listed = client.get("/admin/messages?state=failed").page
    assert f'id="message-{message_id}"' in listed
    assert "HTTP 503" in listed and "6 tentatives" in listed
    assert "Awa" in listed  # the appointment it belongs to, linked to its row on the desk
    assert f"#booking-{db.session.get(OutboxMessage, message_id).booking_id}" in listed
    # Neither the number nor the text is shown.
    assert "+33612345678" not in listed and "06 12 34 56 78" not in listed


def test_mark_as_handled_takes_it_off_the_desk_row(app, client, login_as, failed_sms):
    message_id, slot = failed_sms
    facilitator = login_as(Role.FACILITATOR)
    panel = client.get("/desk/messages").page
    assert f'id="message-{message_id}"' in panel
    answer = client.post(f"/desk/messages/{message_id}/handled",
                         data={"csrf_token": csrf_token_from(panel), "back": "/desk/messages"})
    assert answer.status_code == 302
    handled = message(message_id)
    assert handled.handled_by_id == facilitator.id and handled.handled_at is not None
    assert FAILED_ON_ROW not in desk_day(client, slot)
    assert f'id="message-{message_id}"' not in client.get("/desk/messages").page
    # Twice: nothing more changes.
    again = client.post(f"/desk/messages/{message_id}/handled",
                        data={"csrf_token": csrf_token_from(panel)}, follow_redirects=True)
    assert "rien n'a été modifié" in again.page


def test_send_again_makes_a_failed_message_due_now_and_it_can_be_delivered(app, client, login_as,
                                                                          failed_sms, failing_gateway):
    message_id, slot = failed_sms
    login_as(Role.COORDINATOR)
    page = client.get("/admin/messages").page
    answer = client.post(f"/admin/messages/{message_id}/retry",
                         data={"csrf_token": csrf_token_from(page), "back": "/admin/messages?days=7"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/messages?days=7"
    retried = message(message_id)
    assert retried.status == MessageStatus.PENDING.value and retried.next_attempt_at <= utcnow()
    failing_gateway.status = 200
    sender = HttpSmsProvider(url=failing_gateway.url, token="t", sender_name="MPT", timeout=5)
    report = deliver_pending(db.session, email_sender=None, sms_sender=sender)
    assert report.sent == 1 and message(message_id).status == MessageStatus.SENT.value
    # Sending again a message delivered meanwhile does nothing.
    client.post(f"/admin/messages/{message_id}/retry", data={"csrf_token": csrf_token_from(page)})
    assert message(message_id).status == MessageStatus.SENT.value
    assert FAILED_ON_ROW not in desk_day(client, slot)


def test_the_desk_panel_acts_only_on_messages_about_appointments(app, client, login_as, failed_sms):
    password_link = queue_email(db.session, to="colleague@example.org", subject="Lien", body="…",
                                language="fr", kind="password_reset")
    db.session.commit()
    db.session.execute(db.update(OutboxMessage).where(OutboxMessage.id == password_link.id)
                       .values(status=MessageStatus.FAILED.value, attempts=6))
    db.session.commit()
    login_as(Role.FACILITATOR)
    panel = client.get("/desk/messages").page
    assert f'id="message-{password_link.id}"' not in panel
    token = csrf_token_from(panel)
    for action in ("retry", "handled"):
        assert client.post(f"/desk/messages/{password_link.id}/{action}",
                           data={"csrf_token": token}).status_code == 404
    assert message(password_link.id).status == MessageStatus.FAILED.value
    assert client.get("/admin/messages").status_code == 403
    assert client.post(f"/desk/messages/99999999/retry", data={"csrf_token": token}).status_code == 404


def test_the_back_address_stays_on_the_messages_pages(app, client, login_as, failed_sms):
    message_id, _ = failed_sms
    login_as(Role.COORDINATOR)
    token = csrf_token_from(client.get("/admin/messages").page)
    answer = client.post(f"/admin/messages/{message_id}/handled",
                         data={"csrf_token": token, "back": "https://evil.example/admin/messages"})
    assert answer.headers["Location"] == "/admin/messages"


def test_sms_and_emails_sent_are_counted_per_month_and_channel(app, client, login_as):
    now = utcnow()
    for channel, months_ago, count in (("sms", 0, 3), ("email", 0, 2), ("sms", 1, 1)):
        for _ in range(count):
            db.session.add(OutboxMessage(channel=channel, recipient="x", language="fr", body="…",
                                         kind="reminder", status=MessageStatus.SENT.value,
                                         sent_at=now - timedelta(days=32 * months_ago)))
    db.session.add(OutboxMessage(channel="sms", recipient="x", language="fr", body="…", kind="reminder",
                                 status=MessageStatus.FAILED.value))
    db.session.commit()
    from tiers_lieu.notify.board import sent_per_month
    from zoneinfo import ZoneInfo

    months = sent_per_month(db.session, since=now - timedelta(days=365), tz=ZoneInfo("Europe/Paris"))
    assert [counts for _, counts in months] == [{"sms": 3, "email": 2}, {"sms": 1}]
    login_as(Role.COORDINATOR)
    page = client.get("/admin/messages").page
    assert "Messages envoyés par mois" in page


@pytest.mark.parametrize("query", ["?days=abc&state=nonsense&page=-4", "?days=99999999999999999999&page=1e9",
                                   "?state=%00&days=%FF"])
def test_malformed_filters_show_the_default_list(app, client, login_as, query):
    login_as(Role.COORDINATOR)
    assert client.get(f"/admin/messages{query}").status_code == 200
