"""Staff login, sessions that die with logout, password rules, rate limits, roles."""
import logging
import os
import secrets
from urllib.parse import quote

import pytest

from tiers_lieu.accounts.models import Role, StaffSession, User
from tiers_lieu.accounts.passwords import password_problem
from tiers_lieu.extensions import db

from .conftest import STAFF_PASSWORD, csrf_token_from, log_in, submit


def session_cookie(client):
    cookie = client.get_cookie("tiers_lieu_session")
    return cookie.value if cookie else None


def test_login_leads_to_the_desk_and_logout_back_to_login(client, make_user):
    user = make_user()
    response = log_in(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/desk/"
    assert client.get("/desk/").status_code == 200
    response = submit(client, "/logout", {}, form_url="/desk/")
    assert response.headers["Location"] == "/login"
    assert client.get("/desk/").status_code == 302


def test_email_is_matched_whatever_its_case_and_spaces(client, make_user):
    make_user(email="nadia@example.org")
    assert log_in(client, "  Nadia@Example.ORG ").status_code == 302


@pytest.mark.parametrize("email, password", [
    ("facilitator1@example.org", "wrong password entirely"),
    ("nobody@example.org", STAFF_PASSWORD),
])
def test_wrong_credentials_get_one_plain_message(client, make_user, email, password):
    make_user()
    response = log_in(client, email, password)
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in response.get_data(as_text=True)


def test_deactivated_account_cannot_log_in(client, make_user):
    user = make_user()
    user.active = False
    db.session.commit()
    assert log_in(client, user.email).status_code == 200


def test_login_gives_a_new_session_identifier(client, make_user):
    user = make_user()
    client.get("/login")
    before = session_cookie(client)
    log_in(client, user.email)
    after = session_cookie(client)
    assert before and after and before != after


def test_a_copied_cookie_is_refused_after_logout(app, client, make_user):
    user = make_user()
    log_in(client, user.email)
    stolen = session_cookie(client)
    submit(client, "/logout", {}, form_url="/desk/")

    thief = app.test_client()
    thief.set_cookie("tiers_lieu_session", stolen)
    response = thief.get("/desk/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_password_change_ends_every_other_session(app, client, make_user):
    user = make_user()
    other_browser = app.test_client()
    log_in(other_browser, user.email)
    log_in(client, user.email)

    response = submit(client, "/account/password", {
        "current_password": STAFF_PASSWORD,
        "new_password": "purple heron over Crest",
        "confirm_password": "purple heron over Crest",
    })
    assert response.status_code == 302
    assert client.get("/desk/").status_code == 200  # this browser stays in
    assert other_browser.get("/desk/").status_code == 302  # the other one is out
    assert log_in(app.test_client(), user.email, "purple heron over Crest").status_code == 302


def test_password_change_checks_the_current_password_and_keeps_input(client, make_user):
    user = make_user()
    log_in(client, user.email)
    response = submit(client, "/account/password?lang=en", {
        "current_password": "not my password at all",
        "new_password": "purple heron over Crest",
        "confirm_password": "purple heron over Crest",
    })
    assert "This is not your current password." in response.get_data(as_text=True)


def test_deactivation_ends_the_sessions_of_that_user(app, client, make_user):
    user = make_user()
    log_in(client, user.email)
    user.active = False
    db.session.commit()
    assert client.get("/desk/").status_code == 302


def test_expired_staff_session_is_refused(client, make_user):
    user = make_user()
    log_in(client, user.email)
    db.session.execute(db.update(StaffSession).values(expires_at=StaffSession.created_at))
    db.session.commit()
    assert client.get("/desk/").status_code == 302


def test_only_the_hash_of_the_session_token_is_stored(client, make_user):
    user = make_user()
    log_in(client, user.email)
    stored = db.session.execute(db.select(StaffSession.token_hash)).scalar_one()
    assert stored not in session_cookie(client)
    assert len(stored) == 64


def test_eleven_wrong_passwords_in_a_minute_get_429(client, make_user):
    user = make_user()
    for _ in range(10):
        assert log_in(client, user.email, "wrong password entirely").status_code == 200
    response = log_in(client, user.email, "wrong password entirely")
    assert response.status_code == 429
    assert "Trop de tentatives" in response.get_data(as_text=True)
    # The right password does not get through either while the account is locked for the minute.
    assert log_in(client, user.email).status_code == 429


def test_successful_logins_do_not_count_towards_the_limit(client, make_user):
    user = make_user()
    for _ in range(12):
        assert log_in(client, user.email).status_code == 302
        submit(client, "/logout", {}, form_url="/desk/")


def test_a_locked_account_does_not_lock_out_colleagues_on_the_same_computer(client, make_user):
    target, colleague = make_user(), make_user()
    for _ in range(11):
        log_in(client, target.email, "wrong password entirely")
    assert log_in(client, colleague.email).status_code == 302


def test_failed_logins_are_logged_without_password_or_email(client, make_user, caplog):
    user = make_user(email="private.person@example.org")
    with caplog.at_level(logging.INFO):
        log_in(client, user.email, "my secret guess 123")
        log_in(client, "unknown.person@example.org", "another secret guess")
    assert f"wrong password for user {user.id}" in caplog.text
    assert "unknown account" in caplog.text
    for secret in ("private.person", "unknown.person", "secret guess"):
        assert secret not in caplog.text


def test_passwords_are_stored_as_argon2id(make_user):
    user = make_user()
    assert user.password_hash.startswith("$argon2id$")
    assert STAFF_PASSWORD not in user.password_hash


@pytest.mark.parametrize("password, accepted", [
    ("short", False),
    ("elevenchars", False),
    ("password1234", False),
    ("123456789012", False),
    ("azertyuiopqs", False),
    ("motdepasse123", False),
    ("Petit Charran", False),
    ("orange kettle under the bridge", True),
    ("vélo violet sous la pluie", True),
    ("x7#Qm!2pLz9@", True),
    ("a long passphrase that goes well beyond sixty-four characters, which is fine by us", True),
    ("z" * 1025, False),
])
def test_password_rules(app, password, accepted):
    assert (password_problem(password) is None) is accepted


def test_password_may_not_contain_the_person_s_own_name(app):
    assert password_problem("nadia.benali2026", "nadia.benali@example.org", "Nadia Benali")


def test_a_password_set_by_a_coordinator_must_be_changed_at_first_login(client, make_user):
    user = make_user(must_change_password=True)
    response = log_in(client, user.email)
    assert response.headers["Location"] == "/account/password"
    assert client.get("/desk/").headers["Location"] == "/account/password"
    submit(client, "/account/password", {
        "current_password": STAFF_PASSWORD,
        "new_password": "purple heron over Crest",
        "confirm_password": "purple heron over Crest",
    })
    assert client.get("/desk/").status_code == 200


@pytest.mark.parametrize("path", ["/desk/", "/stats/", "/admin/", "/admin/users", "/account"])
def test_anonymous_visitors_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path, facilitator, coordinator", [
    ("/desk/", 200, 200),
    ("/stats/", 200, 200),
    ("/admin/", 403, 200),
    ("/admin/users", 403, 200),
    ("/admin/users/new", 403, 200),
])
def test_roles(client, login_as, path, facilitator, coordinator):
    login_as(Role.FACILITATOR)
    assert client.get(path).status_code == facilitator
    submit(client, "/logout", {}, form_url="/account")
    login_as(Role.COORDINATOR)
    assert client.get(path).status_code == coordinator


def test_403_page_is_translated(client, login_as):
    login_as(Role.FACILITATOR)
    assert "Access refused" in client.get("/admin/?lang=en").get_data(as_text=True)


@pytest.mark.parametrize("target, expected", [
    ("/admin/users", "/admin/users"),
    ("//evil.example/", "/desk/"),
    ("https://evil.example/", "/desk/"),
    ("/\\evil.example", "/desk/"),
])
def test_login_returns_only_to_pages_of_this_site(client, make_user, target, expected):
    user = make_user(role=Role.COORDINATOR)
    response = submit(client, f"/login?next={target}", {"email": user.email, "password": STAFF_PASSWORD},
                      form_url="/login")
    assert response.headers["Location"] == expected


@pytest.mark.parametrize("target", [
    "/\t/evil.example/", "/\n/evil.example/", "/\r\n/evil.example/", "/ /evil.example/",
    "/desk/\r\nSet-Cookie: taken=1", "/\x00/evil.example", "/\u2028/evil.example", "/\u200b/evil.example",
    "\t//evil.example", "/\x7f/evil.example", "javascript:alert(1)", "http:/evil.example",
])
def test_a_next_with_hidden_characters_is_dropped_after_a_recorded_login(client, make_user, target):
    """Browsers drop tabs and newlines from an address: "/<tab>/evil" would become //evil."""
    user = make_user(role=Role.COORDINATOR)
    response = submit(client, f"/login?next={quote(target, safe='')}",
                      {"email": user.email, "password": STAFF_PASSWORD}, form_url="/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/desk/"
    assert "taken" not in " ".join(response.headers.getlist("Set-Cookie"))
    assert client.get("/desk/").status_code == 200  # the login was recorded and holds


def test_a_usable_next_keeps_its_query(client, make_user):
    user = make_user(role=Role.COORDINATOR)
    target = "/desk/residents/?q=Jos%C3%A9"
    response = submit(client, f"/login?next={quote(target, safe='')}",
                      {"email": user.email, "password": STAFF_PASSWORD}, form_url="/login")
    assert response.headers["Location"] == target


def test_staff_language_preference_applies_after_login(client, make_user):
    """On a device where nobody chose a language, the account's preference is the language."""
    user = make_user(language="en")
    log_in(client, user.email)
    assert '<html lang="en" dir="ltr">' in client.get("/desk/").get_data(as_text=True)


def language_cookie(client):
    cookie = client.get_cookie("lang")
    return cookie.value if cookie else None


def test_a_language_chosen_on_the_login_page_stays_after_login(client, make_user):
    """Issue 11: logging in from the English login page landed a French account in French."""
    user = make_user(language="fr")
    form = client.get("/login?lang=en")
    assert '<html lang="en" dir="ltr">' in form.page and language_cookie(client) == "en"
    response = client.post("/login?lang=en", data={
        "csrf_token": csrf_token_from(form.page), "email": user.email, "password": STAFF_PASSWORD})
    assert response.status_code == 302
    assert not any(c.startswith("lang=") for c in response.headers.getlist("Set-Cookie"))
    assert language_cookie(client) == "en"
    assert '<html lang="en" dir="ltr">' in client.get("/desk/").page
    assert '<html lang="en" dir="ltr">' in client.get("/account").page


def test_a_language_chosen_earlier_on_this_device_wins_over_the_account(client, make_user):
    user = make_user(language="en")
    client.get("/?lang=fr")
    log_in(client, user.email)
    assert language_cookie(client) == "fr"
    assert '<html lang="fr" dir="ltr">' in client.get("/desk/").page


def test_the_account_page_says_how_the_preference_and_the_device_choice_combine(client, login_as):
    login_as()
    page = client.get("/account?lang=en").page
    assert "Used when you log in on a device where nobody chose a language" in page
    saved = submit(client, "/account", {"display_name": "Julie M.", "language": "fr"}, form_url="/account")
    assert language_cookie(client) == "fr" and saved.status_code == 302


def test_preferences_are_saved(client, login_as):
    user = login_as()
    response = submit(client, "/account", {"display_name": "Julie M.", "language": "en"})
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(User, user.id)
    assert (saved.display_name, saved.language) == ("Julie M.", "en")


def redis_answers():
    import socket
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_answers(), reason="needs Redis on 127.0.0.1:6379")
def test_with_redis_the_limit_holds_across_workers(database_urls, backend, app, make_user):
    """Two app processes (gunicorn workers) share the counters through Redis."""
    from .conftest import make_app

    import redis
    # A database for this test alone, one per test process (pytest-xdist's gw0…gw3: 15…12), so
    # that its runs on the other processes never empty it meanwhile.
    number = 15 - int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0) % 4
    store = redis.Redis(host="127.0.0.1", port=6379, db=number)
    store.flushdb()
    user = make_user(email=f"redis-{secrets.token_hex(4)}@example.org")
    settings = {"RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:6379/{number}"}
    workers = [make_app(database_urls[backend], **settings).test_client() for _ in range(2)]
    for attempt in range(10):
        assert log_in(workers[attempt % 2], user.email, "wrong password entirely").status_code == 200
    assert log_in(workers[0], user.email, "wrong password entirely").status_code == 429
    assert log_in(workers[1], user.email, "wrong password entirely").status_code == 429
    # The counters live in Redis, where every process sees them, under a keyed digest of the
    # account: the store holds neither the address nor its local part.
    keys = [key.decode() for key in store.keys("*login-account:*")]
    assert keys
    mailbox = user.email.split("@")[0]
    assert not [key for key in keys if mailbox in key or user.email in key]
    store.flushdb()
