"""Fixtures: the app on a real database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set),
a client, the CLI runner, staff users of each role, booking rows, and a browser for the pages."""
import hashlib
import html
import os
import re
import secrets
import socket
import threading
from datetime import date, datetime, time, timedelta, timezone
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Response
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from config import TestConfig
from tiers_lieu import create_app, settings_cache
from tiers_lieu.accounts.models import Role
from tiers_lieu.accounts.service import create_user
from tiers_lieu.booking.models import HOLDS_SEAT, Booking, BookingStatus, Location, OpeningRule
from tiers_lieu.extensions import db, limiter

from . import factories

STAFF_PASSWORD = "orange kettle under the bridge"
CHROMIUM = "/usr/bin/chromium"


# --- databases -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    """One fresh database per backend for this whole run, created here and dropped at the end."""
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'tiers_lieu.db'}"}
    server_url = os.environ.get("TEST_DATABASE_URL")
    engine = name = None
    if server_url:
        name = f"tiers_lieu_test_{secrets.token_hex(6)}"
        engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        urls["postgresql"] = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    yield urls
    if engine is not None:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


_migrated = set()


class TestResponse(Response):
    @property
    def page(self):
        """The HTML as a reader sees it: entities such as &#39; turned back into characters."""
        return html.unescape(self.get_data(as_text=True))


class Client(FlaskClient):
    """A test client whose every request runs in its own app context, as on a real server.

    The tests hold an app context open to use the database; without this, each request would
    share that context, and with it `g` (where Flask-WTF caches the CSRF token) and the
    database session.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def make_app(database_url, **settings):
    config = type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, **settings})
    app = create_app(config)
    app.test_client_class = Client
    app.response_class = TestResponse
    if database_url not in _migrated:
        with app.app_context():
            upgrade()
        _migrated.add(database_url)
    return app


def empty_database(app):
    settings_cache.forget()
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.engine.dispose()


@pytest.fixture
def blank_database_url(backend, tmp_path):
    """A database of the current backend with no table at all, dropped after the test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    server_url = os.environ["TEST_DATABASE_URL"]
    name = f"tiers_lieu_blank_{secrets.token_hex(6)}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, database_urls):
    if request.param not in database_urls:
        pytest.skip("PostgreSQL variant: set TEST_DATABASE_URL to run it")
    return request.param


@pytest.fixture
def app(backend, database_urls):
    app = make_app(database_urls[backend])
    with app.app_context():
        limiter.reset()
        yield app
    empty_database(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- forms and staff -----------------------------------------------------------------------

CSRF_RE = re.compile(r'name="(?:[\w-]+-)?csrf_token" type="hidden" value="([^"]+)"|'
                     r'type="hidden" name="csrf_token" value="([^"]+)"|'
                     r'name="csrf_token" value="([^"]+)"')


def csrf_token_from(html):
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return next(group for group in match.groups() if group)


def submit(client, url, data, form_url=None, **kwargs):
    """Post a form the way a browser does: load the page first and send its CSRF token back."""
    page = client.get(form_url or url)
    data = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data}
    return client.post(url, data=data, **kwargs)


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 10_000))

    def make(role=Role.FACILITATOR, email=None, password=STAFF_PASSWORD, name=None, **fields):
        number = next(counter)
        user = create_user(
            email or f"{role.value}{number}@example.org",
            name or f"{role.value.title()} {number}",
            password,
            role=role,
            **fields,
        )
        return user

    return make


def log_in(client, email, password=STAFF_PASSWORD):
    return submit(client, "/login", {"email": email, "password": password})


@pytest.fixture
def login_as(client, make_user):
    """Log the test client in as a new staff member of this role and return that user."""

    def login(role=Role.FACILITATOR):
        user = make_user(role=role)
        response = log_in(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return login


# --- live server and browser -------------------------------------------------------------

@pytest.fixture
def live_server(app):
    """Serve the app on a loopback port from a thread, for the browser."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: CI must run the browser tests")
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic"],
        )
        yield browser
        browser.close()


VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture
def new_page(browser):
    contexts = []

    def open_page(viewport="phone", locale="fr-FR"):
        context = browser.new_context(viewport=VIEWPORTS[viewport], locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


# --- a real SMTP server on loopback ---------------------------------------------------------

def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- a real SMTP server ---------------------------------------------------------------------

class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts, or refuses every recipient."""

    def __init__(self):
        self.envelopes = []
        self.refuse_recipients = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_recipients:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [message_from_bytes(envelope.content, policy=policy.default)
                for envelope in self.envelopes]

    def recipients(self):
        return sorted(address for envelope in self.envelopes for address in envelope.rcpt_tos)


@pytest.fixture
def smtp_server(app):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    yield mailbox
    controller.stop()


def pytest_report_header(config):
    postgres = "on" if os.environ.get("TEST_DATABASE_URL") else "off (set TEST_DATABASE_URL)"
    browser = "on" if Path(CHROMIUM).exists() else f"off ({CHROMIUM} missing)"
    return [f"tiers_lieu: PostgreSQL variants {postgres}; browser tests {browser}"]


# --- booking -------------------------------------------------------------------------------

@pytest.fixture
def make_topic(app):
    counter = iter(range(1, 10_000))

    def make(**fields):
        number = next(counter)
        return factories.add_topic(**{"slug": f"topic-{number}", "name_fr": f"Thématique {number}",
                                      "position": number, **fields})

    return make


@pytest.fixture
def generated_history(app, make_user, make_topic, make_location):
    """Write `days` days of generated activity (stats/history.py) up to yesterday, in two rooms
    with two facilitators and the four demo topics; returns the people and places involved."""
    from zoneinfo import ZoneInfo

    from tiers_lieu.desk.lists import ensure_default_lists
    from tiers_lieu.stats.history import generate

    def write(days, seed, residents):
        paris = ZoneInfo("Europe/Paris")
        f1, f2 = make_user(Role.FACILITATOR), make_user(Role.FACILITATOR)
        for slug in ("demarches", "achats", "scolarite", "smartphone"):
            make_topic(slug=slug, name_fr=slug.title())
        l1, l2 = make_location("Salle informatique"), make_location("Bureau d'accueil")
        ensure_default_lists(db.session)
        now = datetime.now(timezone.utc)
        today = now.astimezone(paris).date()
        with db.engine.begin() as connection:
            counts = generate(connection, places=[(l1.id, [f1.id, f2.id], 1), (l2.id, [f2.id], 1)],
                              first_day=today - timedelta(days=days), last_day=today - timedelta(days=1),
                              tz=paris, now=now, residents=residents, seed=seed)
        return {"f1": f1, "f2": f2, "today": today, "first": today - timedelta(days=days), "l1": l1,
                "counts": counts}

    return write


@pytest.fixture
def make_location(app):
    def make(name="Salle informatique", **fields):
        location = Location(name=name, **fields)
        db.session.add(location)
        db.session.commit()
        return location

    return make


@pytest.fixture
def make_rule(app, make_location):
    """An opening rule, by default Mondays 09:00–12:00 in 30-minute slots from 2030 on."""

    def make(**fields):
        if "location" not in fields and "location_id" not in fields:
            fields["location"] = make_location()
        rule = OpeningRule(**{"weekday": 0, "start_time": time(9), "end_time": time(12),
                              "slot_length": 30, "valid_from": date(2030, 1, 1), **fields})
        db.session.add(rule)
        db.session.commit()
        return rule

    return make


@pytest.fixture
def make_slot(app, make_location):
    """A free one-seat slot, by default on 1 July 2030 at 09:00 UTC."""

    def make(**fields):
        if "location" not in fields and "location_id" not in fields:
            fields["location"] = make_location()
        starts_at = fields.pop("starts_at", datetime(2030, 7, 1, 9, tzinfo=timezone.utc))
        return factories.add_slot(starts_at=starts_at, ends_at=starts_at + timedelta(minutes=30), **fields)

    return make


@pytest.fixture
def make_booking(app, make_topic):
    """A booking row; a status that holds a seat takes it on the slot, as booking does."""
    counter = iter(range(1, 10_000))

    def make(slot, status=BookingStatus.BOOKED, **fields):
        number = next(counter)
        if "topic" not in fields and "topic_id" not in fields:
            fields["topic"] = slot.topics[0] if slot.topics else make_topic()
        booking = Booking(slot=slot, status=status.value, **{
            "code": f"T{number:05d}", "token_hash": hashlib.sha256(str(number).encode()).hexdigest(),
            "first_name": "Awa", "phone": "+33612345678", **fields})
        db.session.add(booking)
        if status in HOLDS_SEAT:
            slot.seats_taken += 1
        db.session.commit()
        return booking

    return make
