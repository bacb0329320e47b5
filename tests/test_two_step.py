"""Two-step verification: turned on with a real code, asked at login before any staff session,
each code once, recovery codes once, turned off by the person, a coordinator or the command line."""
import re
import time
from datetime import datetime, timezone

import pyotp
import pytest
import time_machine

from tiers_lieu.accounts.auth import HELD_LOGIN
from tiers_lieu.accounts.models import RecoveryCode, Role, StaffSession, User
from tiers_lieu.audit import AuditEvent
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import OutboxMessage

from .conftest import STAFF_PASSWORD, csrf_token_from, log_in, submit

KEY = re.compile(r'id="two-step-key">([A-Z2-7 ]+)</code>')
RECOVERY = re.compile(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>")


def turn_on(client):
    """Turn two-step verification on from the set-up page; return (secret, recovery codes)."""
    page = client.get("/account/two-step").page
    secret = KEY.search(page).group(1).replace(" ", "")
    response = submit(client, "/account/two-step", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200, response.page
    return secret, RECOVERY.findall(response.page)


def next_code(secret):
    """The code of the next 30-second step: accepted (a phone may run a little ahead), and never
    the step the set-up or an earlier login already used."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def wrong_code(secret):
    """A code of six digits that no step within the allowance has."""
    totp = pyotp.TOTP(secret)
    near = {totp.at(time.time() + 30 * offset) for offset in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)


def give_code(client, code):
    return submit(client, "/login/two-step", {"code": code})


def sessions():
    return db.session.execute(db.select(db.func.count(StaffSession.id))
                              .where(StaffSession.revoked_at.is_(None))).scalar_one()


def actions():
    return db.session.execute(db.select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()


@pytest.fixture
def frozen():
    """Time stands still (a 30-second step cannot end in the middle of a test) unless moved."""
    with time_machine.travel(datetime.now(timezone.utc), tick=False) as traveller:
        yield traveller


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.FACILITATOR])
def test_turning_it_on_needs_the_apps_current_code(app, client, login_as, frozen, role):
    user = login_as(role)
    assert "Turn on two-step verification" in client.get("/account?lang=en").page
    page = client.get("/account/two-step?lang=en").page
    secret = KEY.search(page).group(1).replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert re.search(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", page)
    assert 'src="data:image/svg+xml' in page
    uri = re.search(r'href="(otpauth://[^"]+)"', page).group(1).replace("&amp;", "&")
    assert uri.startswith("otpauth://totp/Maison%20Pour%20Tous%20%E2%80%94%20Petit%20Charran:")
    assert user.email.replace("@", "%40") in uri and f"secret={secret}" in uri
    # Reloading keeps the secret the phone has already scanned, and showing it writes nothing.
    assert KEY.search(client.get("/account/two-step").page).group(1).replace(" ", "") == secret
    db.session.refresh(user)
    assert user.totp_secret is None
    # Another login offers another secret: one seen on a screen left open is not the one turned on.
    elsewhere = app.test_client()
    log_in(elsewhere, user.email)
    assert KEY.search(elsewhere.get("/account/two-step").page).group(1).replace(" ", "") != secret

    response = submit(client, "/account/two-step?lang=en", {"code": wrong_code(secret)})
    assert response.status_code == 200
    assert "This is not the code the app shows now." in response.page
    assert submit(client, "/account/two-step", {"code": "not a code"}).status_code == 200
    db.session.refresh(user)
    assert not user.two_step_on

    response = submit(client, "/account/two-step?lang=en", {"code": pyotp.TOTP(secret).now()})
    codes = RECOVERY.findall(response.page)
    assert len(codes) == 10 == len(set(codes))
    assert "they are shown only this once" in response.page and "I have kept them" in response.page
    db.session.refresh(user)
    assert user.two_step_on and user.totp_secret == secret
    # Recovery codes are kept hashed (argon2id), never as typed.
    hashes = db.session.execute(db.select(RecoveryCode.code_hash)).scalars().all()
    assert len(hashes) == 10 and all(value.startswith("$argon2id$") for value in hashes)
    assert not any(code.replace("-", "") in value for code in codes for value in hashes)
    assert actions()[-1] == "user.two_step_on"

    # From then on the page shows the state, never the secret again.
    page = client.get("/account/two-step?lang=en").page
    assert secret not in page and "10 recovery codes left." in page
    assert "two-step-key" not in page and "otpauth://" not in page
    assert "Manage two-step verification" in client.get("/account?lang=en").page


def test_login_asks_for_the_code_before_any_staff_session(app, client, login_as, frozen):
    user = login_as(Role.COORDINATOR)
    secret, _ = turn_on(client)
    browser = app.test_client()
    before = sessions()
    response = log_in(browser, user.email)
    assert response.status_code == 302 and response.headers["Location"] == "/login/two-step"
    assert sessions() == before
    # Flask's session holds the user's id and the time, nothing else, until the code is right.
    with browser.session_transaction() as flask_session:
        assert set(flask_session[HELD_LOGIN]) == {"user_id", "at"}
        assert flask_session[HELD_LOGIN]["user_id"] == user.id
    assert browser.get("/desk/").status_code == 302
    page = browser.get("/login/two-step?lang=en")
    assert page.status_code == 200 and "Your password is right." in page.page

    response = give_code(browser, "123 45")
    assert response.status_code == 200 and sessions() == before
    response = give_code(browser, next_code(secret))
    assert response.status_code == 302 and response.headers["Location"] == "/desk/"
    assert sessions() == before + 1
    assert browser.get("/desk/").status_code == 200
    with browser.session_transaction() as flask_session:
        assert HELD_LOGIN not in flask_session


def test_the_page_asked_for_is_reached_after_the_code(app, client, login_as, frozen):
    user = login_as(Role.COORDINATOR)
    secret, _ = turn_on(client)
    browser = app.test_client()
    response = submit(browser, "/login?next=/admin/users", {"email": user.email, "password": STAFF_PASSWORD})
    assert response.headers["Location"] == "/login/two-step?next=/admin/users"
    response = submit(browser, "/login/two-step?next=/admin/users", {"code": next_code(secret)})
    assert response.headers["Location"] == "/admin/users"


def test_a_code_is_refused_the_second_time_and_so_is_an_older_one(app, client, login_as, frozen):
    user = login_as(Role.COORDINATOR)
    secret, _ = turn_on(client)
    code = next_code(secret)
    first = app.test_client()
    log_in(first, user.email)
    assert give_code(first, code).status_code == 302

    second = app.test_client()
    log_in(second, user.email)
    response = submit(second, "/login/two-step?lang=en", {"code": code})
    assert response.status_code == 200
    assert "This code is not right, or it was used already." in response.page
    # The code of the step before, still within the phone's allowance, is older than the one used.
    assert give_code(second, pyotp.TOTP(secret).now()).status_code == 200
    frozen.shift(60)
    assert give_code(second, pyotp.TOTP(secret).now()).status_code == 302


def test_a_recovery_code_works_once(app, client, login_as, frozen):
    user = login_as(Role.COORDINATOR)
    _, codes = turn_on(client)
    browser = app.test_client()
    log_in(browser, user.email)
    # Typed as people type it: capitals, spaces, no hyphen.
    response = give_code(browser, " " + codes[0].replace("-", " ").upper() + " ")
    assert response.status_code == 302
    assert "il en reste 9" in browser.get(response.headers["Location"], follow_redirects=True).page
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "user.recovery_code_used")).scalar_one()
    assert (event.actor_id, event.target_id, event.details) == (user.id, user.id, {"codes_left": 9})

    again = app.test_client()
    log_in(again, user.email)
    assert give_code(again, codes[0]).status_code == 200
    assert give_code(again, "abcde-fghjk").status_code == 200
    assert give_code(again, codes[1]).status_code == 302


def test_wrong_codes_count_in_the_same_limit_as_wrong_passwords(app, client, login_as, frozen):
    user = login_as(Role.COORDINATOR)
    secret, _ = turn_on(client)
    browser = app.test_client()
    for _ in range(5):
        assert log_in(browser, user.email, "wrong password entirely").status_code == 200
    assert log_in(browser, user.email).status_code == 302  # a right password is not counted
    for _ in range(5):
        assert give_code(browser, wrong_code(secret)).status_code == 200
    # Ten failures on this account in the minute, passwords and codes together: the right code,
    # and the right password, wait.
    response = give_code(browser, next_code(secret))
    assert response.status_code == 429 and sessions() == 1
    assert log_in(app.test_client(), user.email).status_code == 429
    frozen.shift(61)
    log_in(browser, user.email)
    assert give_code(browser, next_code(secret)).status_code == 302


def test_wrong_codes_count_in_the_per_address_limit_too(app, client, login_as, make_user, frozen):
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = "4 per minute"
    user = login_as(Role.COORDINATOR)
    secret, _ = turn_on(client)
    colleague = make_user()
    browser = app.test_client()
    for _ in range(2):
        log_in(browser, colleague.email, "wrong password entirely")
    log_in(browser, user.email)
    for _ in range(2):
        assert give_code(browser, wrong_code(secret)).status_code == 200
    assert give_code(browser, next_code(secret)).status_code == 429


def test_the_code_must_follow_the_password_within_5_minutes(app, client, login_as, frozen):
    user = login_as(Role.COORDINATOR)
    secret, _ = turn_on(client)
    browser = app.test_client()
    log_in(browser, user.email)
    token = csrf_token_from(browser.get("/login/two-step").page)  # the page open, the code not yet typed
    frozen.shift(5 * 60 + 1)
    response = browser.post("/login/two-step", data={"csrf_token": token, "code": next_code(secret)})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert sessions() == 1  # the coordinator's own, from the set-up
    assert "le code doit suivre dans les 5 minutes" in browser.get("/login").page
    assert browser.get("/login/two-step").status_code == 302
    # Within the five minutes it works.
    log_in(browser, user.email)
    frozen.shift(4 * 60)
    assert give_code(browser, next_code(secret)).status_code == 302


def test_the_code_page_without_a_password_first_leads_to_the_login(client):
    response = client.get("/login/two-step")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    response = submit(client, "/login/two-step", {"code": "123456"}, form_url="/login")
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_turning_it_off_or_making_new_codes_asks_for_the_password(app, client, login_as, frozen):
    user = login_as(Role.COORDINATOR)
    _, codes = turn_on(client)
    response = submit(client, "/account/two-step/codes?lang=en", {"codes-current_password": "not my password"},
                      form_url="/account/two-step")
    assert response.status_code == 200 and "This is not your current password." in response.page
    response = submit(client, "/account/two-step/codes", {"codes-current_password": STAFF_PASSWORD},
                      form_url="/account/two-step")
    new_codes = RECOVERY.findall(response.page)
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    browser = app.test_client()
    log_in(browser, user.email)
    assert give_code(browser, codes[2]).status_code == 200  # the old codes are gone
    assert give_code(browser, new_codes[0]).status_code == 302

    response = submit(client, "/account/two-step/off", {"off-current_password": "not my password"},
                      form_url="/account/two-step")
    assert response.status_code == 200
    db.session.refresh(user)
    assert user.two_step_on
    response = submit(client, "/account/two-step/off", {"off-current_password": STAFF_PASSWORD},
                      form_url="/account/two-step")
    assert response.status_code == 302
    db.session.refresh(user)
    assert not user.two_step_on and user.totp_secret is None
    assert db.session.execute(db.select(db.func.count(RecoveryCode.id))).scalar_one() == 0
    assert log_in(app.test_client(), user.email).headers["Location"] == "/desk/"
    assert actions()[-4:] == ["user.two_step_on", "user.recovery_codes_new", "user.recovery_code_used",
                              "user.two_step_off"]


def test_a_coordinator_turns_it_off_for_a_colleague_who_lost_everything(app, client, make_user, frozen):
    lost = make_user(Role.COORDINATOR)
    own = app.test_client()
    log_in(own, lost.email)
    turn_on(own)
    coordinator = make_user(Role.COORDINATOR)
    log_in(client, coordinator.email)
    page = client.get(f"/admin/users/{lost.id}?lang=en").page
    assert "Turn off two-step verification" in page
    response = submit(client, f"/admin/users/{lost.id}/two-step-off", {}, form_url=f"/admin/users/{lost.id}")
    assert response.status_code == 302
    db.session.refresh(lost)
    assert not lost.two_step_on
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "user.two_step_off")).scalar_one()
    assert (event.actor_id, event.target_id) == (coordinator.id, lost.id)
    assert log_in(app.test_client(), lost.email).headers["Location"] == "/desk/"


def test_a_coordinator_cannot_turn_off_their_own_without_the_password(app, client, login_as, frozen):
    user = login_as(Role.COORDINATOR)
    turn_on(client)
    assert "two-step-off" not in client.get(f"/admin/users/{user.id}").page
    response = submit(client, f"/admin/users/{user.id}/two-step-off", {}, form_url=f"/admin/users/{user.id}")
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.two_step_on


def test_a_facilitator_cannot_turn_it_off_for_someone(app, client, make_user, login_as, frozen):
    lost = make_user(Role.COORDINATOR)
    own = app.test_client()
    log_in(own, lost.email)
    turn_on(own)
    login_as(Role.FACILITATOR)
    response = submit(client, f"/admin/users/{lost.id}/two-step-off", {}, form_url="/account")
    assert response.status_code == 403
    db.session.refresh(lost)
    assert lost.two_step_on


def test_the_command_line_turns_it_off(app, client, runner, login_as, frozen):
    user = login_as(Role.COORDINATOR)
    turn_on(client)
    db.session.expire_all()  # the command runs in this test's app context, hence its session
    result = runner.invoke(args=["users", "two-step-off", user.email.upper()])
    assert result.exit_code == 0, result.output
    assert f"Two-step verification is off for account {user.id}" in result.output
    db.session.refresh(user)
    assert not user.two_step_on
    assert actions()[-1] == "user.two_step_off"
    assert db.session.execute(db.select(AuditEvent.actor_id).order_by(AuditEvent.id.desc()).limit(1)).scalar() is None
    result = runner.invoke(args=["users", "two-step-off", user.email])
    assert result.exit_code == 0 and "already off" in result.output
    result = runner.invoke(args=["users", "two-step-off", "nobody@example.org"])
    assert result.exit_code == 1 and "No staff account uses this e-mail address." in result.output


def test_a_password_reset_link_does_not_skip_the_second_step(app, client, login_as, frozen):
    user = login_as(Role.COORDINATOR)
    secret, _ = turn_on(client)
    stranger = app.test_client()
    submit(stranger, "/login/forgot", {"email": user.email})
    body = db.session.execute(db.select(OutboxMessage.body)).scalar_one()
    path = re.search(r"/login/reset/[A-Za-z0-9_-]{43}", body).group()
    response = submit(stranger, path, {"new_password": "purple heron over Crest",
                                       "confirm_password": "purple heron over Crest"})
    assert response.headers["Location"] == "/login"
    assert sessions() == 0
    response = log_in(stranger, user.email, "purple heron over Crest")
    assert response.headers["Location"] == "/login/two-step"
    assert stranger.get("/desk/").status_code == 302
    db.session.refresh(user)
    assert user.two_step_on
    assert give_code(stranger, next_code(secret)).status_code == 302


def test_a_deactivated_account_waiting_for_its_code_starts_again(app, client, login_as, frozen):
    user = login_as(Role.COORDINATOR)
    secret, _ = turn_on(client)
    browser = app.test_client()
    log_in(browser, user.email)
    token = csrf_token_from(browser.get("/login/two-step").page)
    db.session.get(User, user.id).active = False
    db.session.commit()
    response = browser.post("/login/two-step", data={"csrf_token": token, "code": next_code(secret)})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert browser.get("/desk/").status_code == 302
