"""The outbox: messages queued with the booking change, delivered by a real SMTP server and a
real HTTP SMS gateway, retried with back-off, never sent twice by two runs at once."""
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tiers_lieu.database import utcnow
from tiers_lieu.extensions import db
from tiers_lieu.notify.email import SmtpSender
from tiers_lieu.notify.models import DeliveryAttempt, MessageStatus, OutboxMessage
from tiers_lieu.notify.service import (DeliveryReport, deliver_pending, queue_email, queue_sms,
                                       retry_delay)
from tiers_lieu.notify.sms import HttpSmsProvider, LogSmsProvider, sms_provider_from_config

from .conftest import free_port

RESIDENT = "amina.diallo@example.org"
PHONE = "+33612345678"
SUBJECT = "Votre rendez-vous à 14 h"
BODY = "Bonjour Amina,\nVotre rendez-vous à 14 h est confirmé. À bientôt au Petit Charran !"
SMS_TEXT = "Rappel : rendez-vous demain à 14 h au Petit Charran. Code K7M-4QP."


@pytest.fixture
def no_smtp_server(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())


def queue_confirmation(**overrides):
    fields = {"to": RESIDENT, "subject": SUBJECT, "body": BODY, "language": "fr",
              "kind": "confirmation", "booking_id": 7}
    return queue_email(db.session, **{**fields, **overrides})


def deliver(app, **options):
    with SmtpSender.from_config(app) as email_sender:
        return deliver_pending(db.session, email_sender=email_sender,
                               sms_sender=sms_provider_from_config(app), **options)


def attempts_of(message):
    return db.session.execute(
        db.select(DeliveryAttempt).where(DeliveryAttempt.message_id == message.id)
        .order_by(DeliveryAttempt.id)
    ).scalars().all()


def count_messages():
    return db.session.execute(db.select(db.func.count(OutboxMessage.id))).scalar_one()


# --- e-mail -----------------------------------------------------------------------------------

def test_a_committed_email_is_delivered_in_utf8_with_its_language(app, smtp_server):
    message = queue_confirmation(html_body="<p>Votre rendez-vous à <strong>14 h</strong></p>")
    db.session.commit()

    assert deliver(app) == DeliveryReport(sent=1)

    [envelope] = smtp_server.envelopes
    assert (envelope.mail_from, envelope.rcpt_tos) == ("accueil@example.org", [RESIDENT])
    [received] = smtp_server.messages()
    assert received["To"] == RESIDENT
    assert received["Subject"] == SUBJECT
    assert received["Content-Language"] == "fr"
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["Date"] and received["Message-ID"].endswith("@example.org>")
    [sender] = received["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "Maison Pour Tous — Petit Charran", "accueil@example.org")
    text = received.get_body(("plain",))
    assert text.get_content_charset() == "utf-8"
    assert text.get_content().splitlines() == BODY.splitlines()  # CRLF on the wire
    assert "à <strong>14 h</strong>" in received.get_body(("html",)).get_content()

    assert message.status == MessageStatus.SENT
    assert message.attempts == 1 and message.sent_at is not None and message.last_error is None
    [attempt] = attempts_of(message)
    assert (attempt.ok, attempt.provider, attempt.error) == (True, "smtp", None)


def test_the_sender_may_name_itself(app, smtp_server):
    app.config["MAIL_DEFAULT_SENDER"] = "Espace numérique <numerique@example.org>"
    queue_confirmation(language="en", subject="Your appointment at 2 pm", body="See you soon.")
    db.session.commit()

    deliver(app)

    [received] = smtp_server.messages()
    assert received["Content-Language"] == "en"
    assert str(received["From"]) == "Espace numérique <numerique@example.org>"


def test_a_message_whose_transaction_rolled_back_is_never_sent(app, smtp_server):
    queue_confirmation(to="kept@example.org")
    db.session.commit()
    queue_confirmation(to="dropped@example.org")
    db.session.rollback()

    assert deliver(app) == DeliveryReport(sent=1)
    assert smtp_server.recipients() == ["kept@example.org"]
    assert count_messages() == 1


def test_an_unreachable_server_means_a_retry_in_a_minute(app, no_smtp_server):
    message = queue_confirmation()
    db.session.commit()
    now = utcnow()

    assert deliver(app, now=now) == DeliveryReport(retried=1)

    assert message.status == MessageStatus.PENDING
    assert message.attempts == 1
    assert message.next_attempt_at == now + timedelta(minutes=1)
    assert message.last_error == "ConnectionRefusedError"
    [attempt] = attempts_of(message)
    assert (attempt.ok, attempt.provider) == (False, "smtp")
    assert attempt.error == "ConnectionRefusedError"
    assert deliver(app, now=now + timedelta(seconds=59)) == DeliveryReport()


def test_a_message_fails_for_good_after_six_attempts(app, no_smtp_server):
    message = queue_confirmation()
    db.session.commit()
    moment = utcnow()
    waits = []

    for _ in range(5):
        assert deliver(app, now=moment) == DeliveryReport(retried=1)
        waits.append(message.next_attempt_at - moment)
        moment = message.next_attempt_at
    assert deliver(app, now=moment) == DeliveryReport(failed=1)

    assert waits == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                     timedelta(hours=2), timedelta(hours=12)]
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 6
    assert [attempt.ok for attempt in attempts_of(message)] == [False] * 6
    assert deliver(app, now=moment + timedelta(days=30)) == DeliveryReport()


def test_a_refused_recipient_is_a_failure_recorded_without_the_address(app, smtp_server):
    smtp_server.refuse_recipients = True
    message = queue_confirmation()
    db.session.commit()

    assert deliver(app) == DeliveryReport(retried=1)

    assert smtp_server.envelopes == []
    assert message.status == MessageStatus.PENDING
    assert message.last_error == "SMTPRecipientsRefused 550"
    assert attempts_of(message)[0].error == "SMTPRecipientsRefused 550"


@pytest.mark.parametrize("failed_attempts, wait", [
    (1, timedelta(minutes=1)),
    (2, timedelta(minutes=5)),
    (3, timedelta(minutes=30)),
    (4, timedelta(hours=2)),
    (5, timedelta(hours=12)),
    (6, None),
])
def test_back_off_table(failed_attempts, wait):
    assert retry_delay(failed_attempts) == wait


class Crash(Exception):
    pass


class CrashingSender:
    """Stands for a run killed in the middle of sending: its exception is not a DeliveryError."""

    provider = "smtp"

    def send(self, message):
        raise Crash


def crash_while_sending(now):
    with pytest.raises(Crash):
        deliver_pending(db.session, now=now, email_sender=CrashingSender(),
                        sms_sender=LogSmsProvider())


def test_a_message_left_sending_by_a_crashed_run_is_sent_after_15_minutes(app, smtp_server):
    message = queue_confirmation()
    db.session.commit()
    crashed_at = utcnow()
    crash_while_sending(crashed_at)
    assert message.status == MessageStatus.SENDING

    assert deliver(app, now=crashed_at + timedelta(minutes=14)) == DeliveryReport()
    assert message.status == MessageStatus.SENDING

    report = deliver(app, now=crashed_at + timedelta(minutes=16))
    assert report == DeliveryReport(sent=1, recovered=1)
    assert smtp_server.recipients() == [RESIDENT]
    assert message.status == MessageStatus.SENT and message.attempts == 2
    assert [(attempt.ok, attempt.error is None) for attempt in attempts_of(message)] == [
        (False, False), (True, True)]


def test_a_crash_during_the_last_attempt_fails_the_message(app, smtp_server):
    message = queue_confirmation()
    db.session.commit()
    message.attempts = 5
    db.session.commit()
    crashed_at = utcnow()
    crash_while_sending(crashed_at)

    assert deliver(app, now=crashed_at + timedelta(minutes=16)) == DeliveryReport(recovered=1)
    assert message.status == MessageStatus.FAILED and message.attempts == 6
    assert smtp_server.envelopes == []


def test_two_runs_at_once_send_each_message_exactly_once(app, smtp_server):
    addresses = [f"resident{number:02}@example.org" for number in range(50)]
    for address in addresses:
        queue_confirmation(to=address)
    db.session.commit()
    start = threading.Barrier(2)

    def run():
        with app.app_context(), SmtpSender.from_config(app) as email_sender:
            start.wait()
            return deliver_pending(db.session, email_sender=email_sender,
                                   sms_sender=LogSmsProvider())

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = [future.result() for future in [pool.submit(run), pool.submit(run)]]

    assert smtp_server.recipients() == addresses
    assert sum(report.sent for report in reports) == 50
    assert sum(report.retried + report.failed for report in reports) == 0
    statuses = db.session.execute(
        db.select(OutboxMessage.status, OutboxMessage.attempts).distinct()).all()
    assert statuses == [(MessageStatus.SENT, 1)]
    assert db.session.execute(db.select(db.func.count(DeliveryAttempt.id))).scalar_one() == 50


def test_a_dedup_key_queues_a_message_only_once(app):
    first = queue_confirmation(kind="reminder", dedup_key="reminder:7")
    assert queue_confirmation(kind="reminder", dedup_key="reminder:7") is first
    db.session.commit()
    again = queue_confirmation(kind="reminder", dedup_key="reminder:7", body="Another text")
    db.session.commit()

    assert again.id == first.id and again.body == BODY
    assert count_messages() == 1


@pytest.mark.parametrize("overrides", [
    {"to": "amina.diallo"},
    {"to": "amina@example.org\r\nBcc: someone@example.org"},
    {"subject": "Votre rendez-vous\nBcc: someone@example.org"},
    {"language": "de"},
])
def test_a_malformed_email_is_refused_when_queued(app, overrides):
    with pytest.raises(ValueError):
        queue_confirmation(**overrides)


# --- SMS --------------------------------------------------------------------------------------

class SmsGateway(ThreadingHTTPServer):
    """A real HTTP server standing for the SMS provider: records requests, answers `status`."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), GatewayHandler)
        self.requests = []
        self.status = 200

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_port}/v1/sms"


class GatewayHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers),
                                     "json": json.loads(body)})
        self.send_response(self.server.status)
        if 300 <= self.server.status < 400:
            self.send_header("Location", "/elsewhere")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_GET(self):
        self.server.requests.append({"path": self.path, "headers": dict(self.headers),
                                     "json": None})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass  # keep the test output for the tests


@pytest.fixture
def sms_gateway(app):
    gateway = SmsGateway()
    thread = threading.Thread(target=gateway.serve_forever, daemon=True)
    thread.start()
    app.config.update(SMS_PROVIDER="http", SMS_HTTP_URL=gateway.url, SMS_HTTP_TOKEN="s3cr3t-token",
                      SMS_SENDER_NAME="MPT Valence")
    yield gateway
    gateway.shutdown()
    gateway.server_close()
    thread.join()


def queue_reminder(**overrides):
    fields = {"to": PHONE, "body": SMS_TEXT, "language": "fr", "kind": "reminder", "booking_id": 7}
    return queue_sms(db.session, **{**fields, **overrides})


def test_an_sms_is_posted_as_json_to_the_http_provider(app, sms_gateway):
    message = queue_reminder()
    db.session.commit()

    assert deliver(app) == DeliveryReport(sent=1)

    [request] = sms_gateway.requests
    assert request["path"] == "/v1/sms"
    assert request["json"] == {"to": PHONE, "text": SMS_TEXT, "sender": "MPT Valence"}
    assert request["headers"]["Authorization"] == "Bearer s3cr3t-token"
    assert request["headers"]["Content-Type"] == "application/json"
    assert message.status == MessageStatus.SENT
    [attempt] = attempts_of(message)
    assert (attempt.ok, attempt.provider) == (True, "http")


@pytest.mark.parametrize("status", [500, 404, 302])
def test_an_answer_other_than_2xx_is_a_failure(app, sms_gateway, status):
    sms_gateway.status = status
    message = queue_reminder()
    db.session.commit()

    assert deliver(app) == DeliveryReport(retried=1)

    assert [request["path"] for request in sms_gateway.requests] == ["/v1/sms"]
    assert message.status == MessageStatus.PENDING
    assert message.last_error == f"HTTP {status}"
    assert attempts_of(message)[0].provider == "http"


def test_an_unreachable_sms_provider_is_a_failure(app):
    provider = HttpSmsProvider(url=f"http://127.0.0.1:{free_port()}/sms", token="t",
                               sender_name="MPT Valence", timeout=2)
    message = queue_reminder()
    db.session.commit()

    report = deliver_pending(db.session, email_sender=SmtpSender.from_config(app),
                             sms_sender=provider)

    assert report == DeliveryReport(retried=1)
    assert message.last_error == "ConnectionRefusedError"


def test_the_log_provider_writes_neither_the_number_nor_the_text(app, caplog):
    message = queue_reminder()
    db.session.commit()

    with caplog.at_level(logging.DEBUG):
        assert deliver(app) == DeliveryReport(sent=1)

    assert f"SMS for message {message.id} ({len(SMS_TEXT)} characters)" in caplog.text
    for secret in (PHONE, PHONE[3:], "K7M-4QP", "Rappel"):
        assert secret not in caplog.text
    assert message.status == MessageStatus.SENT and message.body == SMS_TEXT
    assert attempts_of(message)[0].provider == "log"


@pytest.mark.parametrize("to", [
    "0612345678", "+33 6 12 34 56 78", "+0612345678", "amina@example.org"])
def test_an_sms_goes_to_an_e164_number_only(app, to):
    with pytest.raises(ValueError):
        queue_reminder(to=to)


def test_the_sms_provider_comes_from_the_configuration(app):
    assert isinstance(sms_provider_from_config(app), LogSmsProvider)
    app.config.update(SMS_PROVIDER="http", SMS_HTTP_URL="https://sms.example.net/send")
    assert isinstance(sms_provider_from_config(app), HttpSmsProvider)
    app.config["SMS_HTTP_URL"] = None
    with pytest.raises(ValueError):
        sms_provider_from_config(app)


# --- command line -----------------------------------------------------------------------------

def test_notify_send_delivers_what_is_due_and_prints_the_report(app, runner, smtp_server):
    queue_confirmation(to="first@example.org")
    queue_confirmation(to="second@example.org")
    queue_reminder()
    db.session.commit()

    result = runner.invoke(args=["notify", "send", "--limit", "2"])
    assert result.exit_code == 0, result.output
    assert "Sent 2, to retry 0, failed 0" in result.output

    result = runner.invoke(args=["notify", "send"])
    assert "Sent 1, to retry 0, failed 0" in result.output
    assert smtp_server.recipients() == ["first@example.org", "second@example.org"]
    assert runner.invoke(args=["notify", "send"]).output.startswith("Sent 0,")


def test_notify_send_reports_failures(app, runner, no_smtp_server):
    queue_confirmation()
    db.session.commit()

    result = runner.invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    assert "Sent 0, to retry 1, failed 0" in result.output


def test_notify_send_refuses_an_unknown_sms_provider(app, runner):
    app.config["SMS_PROVIDER"] = "carrier-pigeon"
    result = runner.invoke(args=["notify", "send"])
    assert result.exit_code != 0
    assert "unknown SMS_PROVIDER" in result.output
