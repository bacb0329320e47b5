"""The log never holds a booking's secret link, nor the personal data that reaches it from outside."""
import logging
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tiers_lieu.extensions import limiter
from tiers_lieu.logs import redact

from .factories import booking_form, make_slots, make_topic
from .conftest import empty_database, make_app, submit

ANSI = re.compile(r"\x1b\[[0-9;]*m")
TOKEN = "Zq3vN0x_kP7-Lm2Rt8Yw4Bc6Hd1Js5Fg9Ua0Ei3Oo7Xs"  # the shape of token_for's output


@pytest.mark.parametrize("text, expected", [
    ("Exception on /booking/%s [GET]" % TOKEN, "Exception on /booking/<secret> [GET]"),
    ("Exception on /booking/%s/cancel [POST]" % TOKEN, "Exception on /booking/<secret> [POST]"),
    ('"GET /booking/%s.ics?lang=en HTTP/1.1" 500 -' % TOKEN, '"GET /booking/<secret> HTTP/1.1" 500 -'),
    ("link: https://rdv.example.org/mpt/booking/%s" % TOKEN, "link: https://rdv.example.org/mpt/booking/<secret>"),
    ("GET /login?next=%%2Fbooking%%2F%s HTTP/1.1" % TOKEN, "GET /login?next=%2Fbooking%2F<secret> HTTP/1.1"),
    ("GET /desk/residents/?q=Dupont&lang=en HTTP/1.1", "GET /desk/residents/?q=<search>&lang=en HTTP/1.1"),
    ("GET /login?next=%2Fdesk%2Fresidents%2F%3Fq%3DDupont HTTP/1.1",
     "GET /login?next=%2Fdesk%2Fresidents%2F%3Fq%3D<search> HTTP/1.1"),
    # What is not a secret stays readable: the look-up page, the rule, the package's files.
    ("POST /booking HTTP/1.1", "POST /booking HTTP/1.1"),
    ("rule /booking/<token>", "rule /booking/<token>"),
    ('File "/srv/app/tiers_lieu/booking/views.py", line 185, in manage',
     'File "/srv/app/tiers_lieu/booking/views.py", line 185, in manage'),
    ('File "/srv/app/templates/booking/manage.html", line 12',
     'File "/srv/app/templates/booking/manage.html", line 12'),
])
def test_redact_masks_secret_links_in_paths_and_urls(text, expected):
    assert redact(text) == expected


@pytest.fixture
def failing_app(backend, database_urls):
    """An app whose booking page fails for real: its public address is too long for the QR code."""
    app = make_app(database_urls[backend], PROPAGATE_EXCEPTIONS=False,
                   PUBLIC_URL="https://rdv.example.org/" + "x" * 3000)
    with app.app_context():
        limiter.reset()
        yield app
    empty_database(app)


def book(app):
    """Book a slot through the booking form; return the secret token of the link it gives."""
    slot = make_slots(make_topic())[0]
    response = submit(app.test_client(), f"/book/slot/{slot.id}", booking_form(),
                      form_url=f"/book/slot/{slot.id}?topic=demarches")
    assert response.status_code == 302
    token = response.headers["Location"].split("/booking/")[1].split("?")[0]
    assert len(token) == 43
    return token


def test_a_failing_booking_page_logs_its_path_without_the_token(failing_app, caplog):
    token = book(failing_app)
    response = failing_app.test_client().get(f"/booking/{token}?new=1")
    assert response.status_code == 500
    assert "Exception on /booking/<secret> [GET]" in caplog.text
    assert "DataOverflowError" in caplog.text  # the maintainer still gets the traceback
    assert token not in caplog.text


def test_the_development_server_logs_requests_without_the_token(failing_app, caplog):
    token = book(failing_app)
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", 0, failing_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for path in (f"/booking/{token}?new=1", f"/booking/{token}/cancel", "/desk/residents/?q=Dupont"):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{path}", timeout=10)
            except urllib.error.HTTPError as error:
                assert error.code == 500, path
    finally:
        server.shutdown()
        thread.join()
    # The request lines, without the colours the development server may give them.
    lines = [ANSI.sub("", record.getMessage()) for record in caplog.records if record.name == "werkzeug"]
    assert any('"GET /booking/<secret> HTTP/1.1" 500' in line for line in lines), lines
    assert any('"GET /desk/residents/?q=<search> HTTP/1.1" 302' in line for line in lines), lines
    assert any('"GET /login?next=/desk/residents/?q%3D<search> HTTP/1.1" 200' in line for line in lines), lines
    assert "Exception on /booking/<secret> [GET]" in caplog.text
    assert token not in caplog.text and "Dupont" not in caplog.text


def test_lines_of_the_apps_modules_are_masked_by_its_handler():
    """Without any logging set up (as under gunicorn), a module's line reaches Flask's handler masked."""
    script = (
        "import logging\n"
        "from config import TestConfig\n"
        "from tiers_lieu import create_app\n"
        "create_app(TestConfig)\n"
        "logging.getLogger('tiers_lieu.notify.service').warning(\n"
        "    'message 7 failed: %s', \"{'resident@example.org': (550, b'refused')} for /booking/" + TOKEN + "\")\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parent.parent,
                            capture_output=True, text=True, timeout=60, check=True)
    assert "message 7 failed: {'<e-mail>': (550, b'refused')} for /booking/<secret>" in result.stderr
    assert "resident@example.org" not in result.stderr and TOKEN not in result.stderr


def test_the_rate_limiter_logs_a_refused_login_without_the_address(app, client, make_user, caplog):
    """Flask-Limiter names the key of a limit it enforces: the login limit's key is the e-mail."""
    caplog.set_level(logging.INFO, logger="flask-limiter")
    user = make_user(email="limited.person@example.org")
    app.config.update(LOGIN_FAILURES_PER_ACCOUNT="2 per minute")
    statuses = [submit(client, "/login", {"email": user.email, "password": "wrong"}).status_code
                for _ in range(4)]
    assert statuses[-1] == 429
    limiter_lines = [record.getMessage() for record in caplog.records if record.name == "flask-limiter"]
    assert any("exceeded" in line for line in limiter_lines), limiter_lines
    assert "limited.person" not in caplog.text
