"""Security baseline: headers, cookies, CSRF, error pages."""
import os
import subprocess
import sys
from datetime import date

import pytest

from flask import request
from sqlalchemy.exc import IntegrityError

from config import ROOT, ProductionConfig
from tiers_lieu import create_app
from tiers_lieu.accounts import access
from tiers_lieu.accounts.models import User
from tiers_lieu.booking.models import CallbackRequest
from tiers_lieu.extensions import db
from tiers_lieu.logs import redact
from tiers_lieu.ops.settings import counts_per_process

from .conftest import make_app, submit


@pytest.mark.parametrize("path", ["/", "/login", "/healthz", "/no-such-page", "/static/css/site.css"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # only in production


def test_pages_are_not_cached_but_static_files_are(client):
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    assert client.get("/static/css/site.css").headers.get("Cache-Control") != "no-store"


SHARED_LIMITS = {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}
# Messages that reach people: an SMTP server and a sender the operator wrote, text messages off.
MESSAGES = {"MAIL_SERVER": "smtp.mpt-valence.fr", "MAIL_DEFAULT_SENDER": "numerique@mpt-valence.fr",
            "SMS_PROVIDER": "none"}


def test_production_adds_hsts_and_secure_cookies(database_urls):
    secure = type("Prod", (ProductionConfig,), {
        "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": database_urls["sqlite"],
        "PUBLIC_URL": "https://numerique.example.org", **SHARED_LIMITS, **MESSAGES})
    app = create_app(secure)
    client = app.test_client()
    response = client.get("/login?lang=en", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("tiers_lieu_session=") and "Secure" in c for c in cookies)
    assert any(c.startswith("lang=en") and "Secure" in c for c in cookies)


@pytest.mark.parametrize("settings, problem", [
    ({"SECRET_KEY": "dev-only-not-secret"}, "SECRET_KEY"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ({"SECRET_KEY": "x" * 40, "SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE"),
    ({"SECRET_KEY": "x" * 40, "PUBLIC_URL": None}, "PUBLIC_URL"),
    ({"SECRET_KEY": "x" * 40, "PUBLIC_URL": "http://numerique.example.org"}, "PUBLIC_URL"),
])
def test_production_refuses_to_start_with_unsafe_settings(settings, problem):
    config = type("Prod", (ProductionConfig,), {"SQLALCHEMY_DATABASE_URI": "sqlite://", **SHARED_LIMITS,
                                                **MESSAGES, **settings})
    with pytest.raises(RuntimeError, match=problem):
        create_app(config)


SAFE_PRODUCTION = {"SECRET_KEY": "x" * 40, "PUBLIC_URL": "https://numerique.example.org",
                   "SQLALCHEMY_DATABASE_URI": "sqlite://", **MESSAGES}


@pytest.mark.parametrize("settings, problem", [
    # The log provider marks as sent texts no one receives: the refusal says what to set instead.
    ({"SMS_PROVIDER": "log"}, r"SMS_PROVIDER=log only writes a line in the log.*SMS_PROVIDER=http with "
                              r"SMS_HTTP_URL.*SMS_PROVIDER=none to switch text messages off"),
    ({"SMS_PROVIDER": None}, "SMS_PROVIDER must be set: http .*, or none"),
    ({"SMS_PROVIDER": "http"}, "SMS_PROVIDER=http needs SMS_HTTP_URL"),
    ({"SMS_PROVIDER": "http", "SMS_HTTP_URL": "http://sms.mpt-valence.fr/v1/messages"},
     "SMS_HTTP_URL must be an https:// address"),
    ({"SMS_PROVIDER": "carrier-pigeon"}, "unknown SMS_PROVIDER 'carrier-pigeon'"),
    ({"MAIL_SERVER": None}, "MAIL_SERVER must name the SMTP server"),
    ({"MAIL_SERVER": ""}, "MAIL_SERVER must name the SMTP server"),
    ({"MAIL_DEFAULT_SENDER": "accueil@example.org"}, "MAIL_DEFAULT_SENDER must be the centre's own address"),
    ({"MAIL_DEFAULT_SENDER": "MPT Valence <numerique@mail.example.com>"}, "MAIL_DEFAULT_SENDER"),
    ({"MAIL_DEFAULT_SENDER": None}, "MAIL_DEFAULT_SENDER"),
])
def test_production_refuses_messages_that_would_go_nowhere(settings, problem):
    with pytest.raises(RuntimeError, match=problem):
        create_app(type("Prod", (ProductionConfig,), {**SAFE_PRODUCTION, **SHARED_LIMITS, **settings}))


@pytest.mark.parametrize("settings", [
    {"SMS_PROVIDER": "none"},
    {"SMS_PROVIDER": "http", "SMS_HTTP_URL": "https://sms.mpt-valence.fr/v1/messages", "SMS_HTTP_TOKEN": "t"},
    {"MAIL_SERVER": "localhost", "MAIL_DEFAULT_SENDER": "MPT Valence <numerique@mpt-valence.fr>"},
])
def test_production_starts_with_messages_that_reach_people(settings):
    app = create_app(type("Prod", (ProductionConfig,), {**SAFE_PRODUCTION, **SHARED_LIMITS, **settings}))
    assert app.config["SMS_PROVIDER"] == settings.get("SMS_PROVIDER", "none")


@pytest.mark.parametrize("storage", ["memory://", "", None])
def test_production_refuses_rate_limits_counted_in_each_process(storage):
    config = type("Prod", (ProductionConfig,), {**SAFE_PRODUCTION, "RATELIMIT_STORAGE_URI": storage})
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI must be a storage every process shares"):
        create_app(config)


@pytest.mark.parametrize("storage", [
    "redis://127.0.0.1:6379/2", "rediss://:secret@redis.example.org:6380/0", "redis+unix:///run/redis/redis.sock",
    "redis+sentinel://127.0.0.1:26379/tiers-lieu",
])
def test_production_starts_with_a_shared_rate_limit_storage(storage):
    """Nothing is contacted at start: a storage down for a moment does not stop the app."""
    app = create_app(type("Prod", (ProductionConfig,), {**SAFE_PRODUCTION, "RATELIMIT_STORAGE_URI": storage}))
    assert app.config["RATELIMIT_STORAGE_URI"] == storage


@pytest.mark.parametrize("storage, alone", [
    ("memory://", True), ("async+memory://", True), ("", True), (None, True),
    ("redis+cluster://10.0.0.1:7000,10.0.0.2:7000", False), ("memcached://127.0.0.1:11211", False),
    ("mongodb://127.0.0.1:27017", False),
])
def test_storages_that_count_per_process_are_told_apart(storage, alone):
    assert counts_per_process(storage) is alone


def test_production_serves_from_one_process_only_when_told():
    single = type("Prod", (ProductionConfig,), {**SAFE_PRODUCTION, "RATELIMIT_STORAGE_URI": "memory://",
                                                "RATELIMIT_SINGLE_PROCESS": True})
    assert create_app(single).config["RATELIMIT_STORAGE_URI"] == "memory://"
    env = {**os.environ, "TIERS_LIEU_CONFIG": "config.ProductionConfig", "SECRET_KEY": "x" * 40,
           "PUBLIC_URL": "https://numerique.example.org", "DATABASE_URL": "sqlite://", **MESSAGES}
    for name in ("RATELIMIT_STORAGE_URI", "RATELIMIT_SINGLE_PROCESS"):
        env.pop(name, None)
    start = [sys.executable, "-c", "from tiers_lieu import create_app; create_app()"]
    refused = subprocess.run(start, cwd=ROOT, env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and "RATELIMIT_SINGLE_PROCESS=1" in refused.stderr
    subprocess.run(start, cwd=ROOT, env={**env, "RATELIMIT_SINGLE_PROCESS": "1"}, check=True)


def test_production_has_no_default_mail_server_nor_sms_provider():
    """Development's localhost and log provider are not production's: unset, it refuses to start."""
    env = {**os.environ, "TIERS_LIEU_CONFIG": "config.ProductionConfig", "SECRET_KEY": "x" * 40,
           "PUBLIC_URL": "https://numerique.example.org", "DATABASE_URL": "sqlite://", **SHARED_LIMITS}
    for name in ("MAIL_SERVER", "MAIL_DEFAULT_SENDER", "SMS_PROVIDER"):
        env.pop(name, None)
    start = [sys.executable, "-c", "from tiers_lieu import create_app; create_app()"]
    refused = subprocess.run(start, cwd=ROOT, env=env, capture_output=True, text=True)
    assert refused.returncode != 0
    for problem in ("MAIL_SERVER must name", "MAIL_DEFAULT_SENDER must be", "SMS_PROVIDER must be set"):
        assert problem in refused.stderr
    subprocess.run(start, cwd=ROOT, check=True, env={
        **env, "MAIL_SERVER": "localhost", "MAIL_DEFAULT_SENDER": "numerique@mpt-valence.fr", "SMS_PROVIDER": "none"})


def test_session_cookie_is_httponly_and_lax(client, make_user):
    user = make_user()
    response = submit(client, "/login", {"email": user.email, "password": "orange kettle under the bridge"})
    cookie = next(value for value in response.headers.getlist("Set-Cookie")
                  if value.startswith("tiers_lieu_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


@pytest.mark.parametrize("lang, text", [("fr", "Ce formulaire avait expiré"), ("en", "This form had expired")])
def test_post_without_csrf_token_gets_the_translated_400_page(client, lang, text):
    response = client.post(f"/login?lang={lang}", data={"email": "a@example.org", "password": "x"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert text in body
    assert "Traceback" not in body


def test_logout_is_not_a_get(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize("lang, title", [("fr", "Page introuvable"), ("en", "Page not found")])
def test_unknown_page_gets_a_translated_404_with_a_way_back(client, lang, title):
    response = client.get(f"/nowhere?lang={lang}")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert title in body
    assert 'href="/' in body


def test_a_crash_shows_the_translated_500_page_without_traceback(database_urls, caplog, monkeypatch):
    app = make_app(database_urls["sqlite"], PROPAGATE_EXCEPTIONS=False)
    monkeypatch.setitem(access.ENDPOINTS, "boom", access.PUBLIC)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret detail resident@example.org")

    response = app.test_client().get("/boom?lang=en")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in body
    assert "secret detail" not in body and "Traceback" not in body
    # The log keeps the traceback for the maintainer, without the personal data.
    assert "RuntimeError: secret detail <e-mail>" in caplog.text
    assert "resident@example.org" not in caplog.text


def _scheme_seen_by(app):
    access.ENDPOINTS.setdefault("scheme", access.PUBLIC)
    app.add_url_rule("/scheme", "scheme", lambda: request.scheme)
    response = app.test_client().get("/scheme", headers={"X-Forwarded-Proto": "https"})
    return response.get_data(as_text=True)


def test_proxy_headers_are_trusted_only_when_configured(database_urls):
    assert _scheme_seen_by(make_app(database_urls["sqlite"], PROXY_COUNT=1)) == "https"
    assert _scheme_seen_by(make_app(database_urls["sqlite"])) == "http"


def test_sql_parameters_stay_out_of_error_messages(app, make_user):
    user = make_user(email="someone.private@example.org")
    db.session.add(User(email=user.email, display_name="Twin", password_hash="x"))
    with pytest.raises(IntegrityError) as error:
        db.session.flush()
    db.session.rollback()
    assert "SQL parameters hidden" in str(error.value)
    assert "someone.private" not in redact(str(error.value))


def test_a_strangers_post_without_token_reads_no_desk_record(client, make_topic, make_slot, make_booking):
    """The hole of issue 10: a form refilled for a refused token ran without the role check."""
    topic = make_topic()
    callback = CallbackRequest(topic_id=topic.id, first_name="Zoubida", phone="+33612345678",
                               moments="morning", language="fr")
    booking = make_booking(make_slot(), topic=topic, first_name="Bartholomé", phone="+33698765432")
    db.session.add(callback)
    db.session.commit()
    for url in (f"/desk/book?callback={callback.id}", f"/desk/book?booking={booking.id}",
                f"/desk/sessions/new?booking={booking.id}", f"/desk/residents/new?booking={booking.id}",
                f"/desk/bookings/{booking.id}/cancel"):
        response = client.post(url, data={"first_name": "x"})
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url
        for secret in ("Zoubida", "Bartholomé", "12 34 56 78", "612345678", "98 76 54 32", "698765432"):
            assert secret not in response.page, url


def test_a_refused_token_on_a_colleagues_session_is_refused_not_a_crash(app, client, make_user, login_as):
    from tiers_lieu.desk.models import HelpSession

    colleague = make_user()
    db.session.add(HelpSession(facilitator_id=colleague.id, kind="individual", day=date.today(),
                               duration_minutes=30, channel="on_site", participant_count=1))
    db.session.commit()
    session_id = db.session.execute(db.select(HelpSession.id)).scalar_one()
    login_as()
    response = client.post(f"/desk/sessions/{session_id}/edit", data={"note": "x"})
    assert response.status_code == 403 and "Accès refusé" in response.page
