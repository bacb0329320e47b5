"""What a request may send: a body limit that fits the largest real form, and a cap on fields."""
import os
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode

import pytest
from werkzeug.datastructures import MultiDict

from tiers_lieu.accounts.models import Role
from tiers_lieu.booking.models import BookingStatus, Topic
from tiers_lieu.desk.lists import ensure_default_lists
from tiers_lieu.desk.models import HelpSession, NationalTheme, Need
from tiers_lieu.extensions import db

from bench.harness import ROOT, gunicorn

from .factories import make_slots
from .conftest import csrf_token_from, make_app, submit
from .test_desk_sessions import session_form

TITLES = {"fr": "Envoi trop volumineux", "en": "Too much sent at once"}


def assert_translated_413(response, lang):
    assert response.status_code == 413
    assert TITLES[lang] in response.page and "Traceback" not in response.page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_body_over_the_limit_gets_the_translated_413_page(client, app, lang):
    too_big = "x" * app.config["MAX_CONTENT_LENGTH"]
    # Without a CSRF token: the CSRF check is what reads the form, and it must answer 413, not 400.
    assert_translated_413(client.post(f"/login?lang={lang}", data={"email": too_big}), lang)
    with_token = submit(client, f"/login?lang={lang}", {"email": "a@example.org", "password": too_big})
    assert_translated_413(with_token, lang)


@pytest.mark.parametrize("path", ["/booking", "/kiosk/ticket", "/kiosk/appointment", "/book/demarches/callback"])
def test_public_forms_answer_413_without_running_the_view(client, app, path):
    response = client.post(f"{path}?lang=en", data={"note": "x" * app.config["MAX_CONTENT_LENGTH"]})
    assert_translated_413(response, "en")


@pytest.mark.parametrize("path", ["/desk/sessions/new?booking=1&lang=en", "/admin/topics/new?lang=en"])
def test_staff_forms_answer_413(client, app, login_as, path):
    login_as(Role.COORDINATOR)
    assert_translated_413(client.post(path, data={"note": "x" * app.config["MAX_CONTENT_LENGTH"]}), "en")


def test_the_api_refuses_a_huge_post_by_its_method(client, app):
    too_big = "x" * app.config["MAX_CONTENT_LENGTH"]
    assert client.post("/api/v1/slots?topic=demarches", data={"x": too_big}).status_code == 405


@pytest.mark.parametrize("encoding", ["application/x-www-form-urlencoded", "multipart/form-data"])
def test_too_many_fields_get_413_however_small(client, app, encoding):
    limit = app.config["MAX_FORM_PARTS"]
    page = client.get("/booking?lang=en").get_data(as_text=True)
    token = csrf_token_from(page)
    fields = [("csrf_token", token), ("code", "K7M4QP")]
    padding = [(f"f{number}", "1") for number in range(limit - len(fields))]
    at_the_limit = client.post("/booking?lang=en", data=MultiDict(fields + padding), content_type=encoding)
    assert at_the_limit.status_code == 200  # read whole: the CSRF token among the fields was found
    one_more = client.post("/booking?lang=en", data=MultiDict(fields + padding + [("x", "1")]),
                           content_type=encoding)
    assert_translated_413(one_more, "en")
    assert len(urlencode(fields + padding + [("x", "1")])) < app.config["MAX_CONTENT_LENGTH"] / 20


def test_a_huge_multipart_field_gets_413(client, app):
    field = "x" * (app.config["MAX_FORM_MEMORY_SIZE"] + 1)
    assert len(field) < app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/login?lang=en", data={"email": field}, content_type="multipart/form-data")
    assert_translated_413(response, "en")


def test_the_limits_come_from_the_environment():
    env = {**os.environ, "MAX_CONTENT_LENGTH": "1000", "MAX_FORM_PARTS": "10", "MAX_FORM_MEMORY_SIZE": "500"}
    read = subprocess.run(
        [sys.executable, "-c", "from config import Config as C; "
         "print(C.MAX_CONTENT_LENGTH, C.MAX_FORM_PARTS, C.MAX_FORM_MEMORY_SIZE)"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert read.stdout.split() == ["1000", "10", "500"]


# --- the largest real forms still go through --------------------------------------------------

EMOJI = "📱"  # four bytes in UTF-8, twelve once percent-encoded: the costliest character to send


def text(length, first="É"):
    return (first + EMOJI * length)[:length]


def lines(length):
    """Several lines (the browser sends CRLF), every character as costly as can be."""
    line = text(98) + "\r\n"
    return (line * (length // len(line) + 1))[:length - 1] + "é"


def test_the_largest_form_filled_to_the_brim_goes_through(client, app, login_as):
    login_as(Role.COORDINATOR)
    values = {
        "slug": "a" + "-b" * 19 + "c", "name_fr": text(120), "name_en": text(120),
        "description_fr": lines(1000), "description_en": lines(1000), "pictogram": "demarches.svg",
        "colour": "#1d4e89", "default_duration": "480", "what_to_bring_fr": lines(2000),
        "what_to_bring_en": lines(2000), "position": "999", "active": "y",
    }
    body = urlencode(values)
    # The whole form at its worst: still well under the limit, which is what the limit was chosen from.
    assert 70_000 < len(body) < app.config["MAX_CONTENT_LENGTH"] / 3
    response = submit(client, "/admin/topics/new", values)
    assert response.status_code == 302, response.page[:2000]
    topic = db.session.execute(db.select(Topic)).scalar_one()
    assert len(topic.what_to_bring_fr) == 2000 and len(topic.description_en) == 1000
    assert topic.name_fr == values["name_fr"]


def test_the_session_form_with_every_box_ticked_goes_through(client, app, login_as, make_booking):
    """The form with the most fields: a full workshop, every topic, need and participant ticked."""
    login_as()
    ensure_default_lists(db.session)
    db.session.add_all(Need(label_fr=f"Besoin {n}", label_en=f"Need {n}", position=100 + n) for n in range(30))
    topics = [Topic(slug=f"topic-{n}", name_fr=f"Thématique {n}", position=n) for n in range(20)]
    db.session.add_all(topics)
    db.session.commit()
    slot = make_slots(topics[0], days_ahead=0, hour=23, capacity=50, title="Atelier")[0]
    bookings = [make_booking(slot, topic=topics[0], status=BookingStatus.CHECKED_IN,
                             first_name=text(80, "A")) for _ in range(50)]
    needs = db.session.execute(db.select(Need.id)).scalars().all()
    url = f"/desk/sessions/new?slot={slot.id}"
    page = client.get(url)
    fields = list(session_form(kind="workshop", participant_count="200", procedure_name=text(120),
                               neighbourhood=text(120), note=text(280), workshop_title=text(120),
                               themes=None).items())
    fields += [("topics", str(topic.id)) for topic in topics] + [("needs", str(need)) for need in needs]
    fields += [("themes", theme.value) for theme in NationalTheme]
    fields += [("participants", str(booking.id)) for booking in bookings]
    fields.append(("csrf_token", csrf_token_from(page.get_data(as_text=True))))
    assert 100 < len(fields) < app.config["MAX_FORM_PARTS"] / 4
    response = client.post(url, data=MultiDict(fields))
    assert response.status_code == 302, response.page[:2000]
    logged = db.session.execute(db.select(HelpSession)).scalar_one()
    assert len(logged.needs) == len(needs) and len(logged.attendees) == 50 and len(logged.topics) == 20


# --- through gunicorn: refused from the header, without reading the body ---------------------

@pytest.fixture
def served(database_urls):
    make_app(database_urls["sqlite"])  # migrated; the limit does not depend on the database
    env = {**os.environ, "DATABASE_URL": database_urls["sqlite"], "SECRET_KEY": "body-limit-test-secret",
           "TIERS_LIEU_CONFIG": "config.Config"}
    with gunicorn(env, workers=1) as base:
        yield int(base.rsplit(":", 1)[1])


def exchange(port, head, body_parts=()):
    """Send a request by hand and return the status line and how long the answer took."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        started = time.perf_counter()
        connection.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        for part in body_parts:
            connection.sendall(part)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer.split(b"\r\n", 1)[0].decode(), time.perf_counter() - started


def test_gunicorn_refuses_a_huge_body_from_its_length_alone(served):
    # Thirty megabytes announced, one kilobyte sent: the answer comes without waiting for the rest.
    head = ("POST /login?lang=en HTTP/1.1\nHost: localhost\nContent-Type: application/x-www-form-urlencoded\n"
            f"Content-Length: {30 * 1024 * 1024}\nConnection: close\n")
    status, seconds = exchange(served, head, [b"email=" + b"x" * 1024])
    assert status.startswith("HTTP/1.1 413")
    assert seconds < 5


def test_gunicorn_stops_reading_a_chunked_body_at_the_limit(served):
    chunk = b"x" * 65536
    chunks = [b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5)]  # 320 KiB, over the 256 KiB limit
    head = ("POST /login?lang=en HTTP/1.1\nHost: localhost\nContent-Type: application/x-www-form-urlencoded\n"
            "Transfer-Encoding: chunked\nConnection: close\n")
    status, _ = exchange(served, head, chunks)
    assert status.startswith("HTTP/1.1 413")
