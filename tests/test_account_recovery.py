"""A forgotten password: the link e-mailed through the outbox and a real SMTP server, used once.

Statuses, said here once: a link that existed and is gone (expired, used, replaced by a newer
one, ended by a password change or a deactivation) answers 410; a token never sent answers 404.
Both pages say so in plain words and offer to send a new link right there.
"""
import logging
import re
import threading
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from werkzeug.serving import make_server

from tiers_lieu.accounts.models import PasswordReset, Role, StaffSession, User
from tiers_lieu.accounts.recovery import hash_token, send_link
from tiers_lieu.audit import AuditEvent
from tiers_lieu.database import utcnow
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import OutboxMessage

from .conftest import STAFF_PASSWORD, log_in, submit

NEW_PASSWORD = "purple heron over Crest"
LINK = re.compile(r"http://localhost/login/reset/[A-Za-z0-9_-]{43}")
SENT_FR = "Si un compte utilise cette adresse, un lien pour choisir un nouveau mot de passe lui a été envoyé"
SENT_EN = ("If an account uses this address, a link to choose a new password has been sent to it; "
           "it works for 30 minutes, once.")


def ask_for_link(client, email):
    return submit(client, "/login/forgot", {"email": email})


def queued_links():
    """The links of the password-reset e-mails in the outbox, oldest first (paths only)."""
    bodies = db.session.execute(db.select(OutboxMessage.body).where(OutboxMessage.kind == "password_reset")
                                .order_by(OutboxMessage.id)).scalars().all()
    return [urlsplit(LINK.search(body).group()).path for body in bodies]


def choose_password(client, path, password=NEW_PASSWORD, confirm=None):
    return submit(client, path, {"new_password": password, "confirm_password": confirm or password})


def outbox_count():
    return db.session.execute(db.select(db.func.count(OutboxMessage.id))).scalar_one()


def test_a_facilitator_chooses_a_new_password_from_the_link_received_by_e_mail(app, client, runner, make_user,
                                                                               smtp_server):
    user = make_user(Role.FACILITATOR)
    elsewhere = app.test_client()
    assert log_in(elsewhere, user.email).status_code == 302
    assert elsewhere.get("/desk/").status_code == 200

    response = ask_for_link(client, user.email.upper())
    assert response.status_code == 200
    assert SENT_FR in response.page and "30 minutes" in response.page
    message = db.session.execute(db.select(OutboxMessage)).scalar_one()
    assert (message.kind, message.booking_id, message.language) == ("password_reset", None, "fr")

    # `flask notify send` delivers it to the SMTP server listening on loopback.
    result = runner.invoke(args=["notify", "send"])
    assert result.exit_code == 0 and "Sent 1" in result.output
    [received] = smtp_server.messages()
    assert smtp_server.recipients() == [user.email]
    assert received["Subject"] == "Choisir un nouveau mot de passe pour Maison Pour Tous — Petit Charran"
    text = received.get_body(("plain",)).get_content()
    assert "Quelqu'un a demandé à choisir un nouveau mot de passe" in text
    assert "Le lien fonctionne pendant 30 minutes, une seule fois." in text
    assert "Si ce n'était pas vous, ignorez ce message : votre mot de passe n'a pas changé." in text
    link = LINK.search(text).group()
    token = link.rsplit("/", 1)[1]
    # Only the token's hash is kept with the link's row.
    stored = db.session.execute(db.select(PasswordReset)).scalar_one()
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash
    assert stored.expires_at - stored.created_at == timedelta(minutes=30)

    path = urlsplit(link).path
    page = client.get(path)
    assert page.status_code == 200 and user.email in page.page
    response = choose_password(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "Votre nouveau mot de passe est enregistré" in client.get("/login").page

    # The session opened before on another browser is over; the new password logs in, not the old.
    response = elsewhere.get("/desk/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert db.session.execute(db.select(db.func.count(StaffSession.id))
                              .where(StaffSession.revoked_at.is_(None))).scalar_one() == 0
    assert log_in(app.test_client(), user.email).status_code == 200
    assert log_in(app.test_client(), user.email, NEW_PASSWORD).status_code == 302

    # Once only.
    again = client.get(path)
    assert again.status_code == 410 and "Ce lien a déjà servi" in again.page
    assert choose_password(client, path, "another long passphrase of ours").status_code == 410
    assert log_in(app.test_client(), user.email, NEW_PASSWORD).status_code == 302

    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "user.recover_password")).scalar_one()
    assert (event.actor_id, event.target_id, event.details) == (user.id, user.id, {})


def test_the_message_is_in_the_accounts_language(app, client, make_user):
    user = make_user(language="en")
    ask_for_link(client, user.email)
    message = db.session.execute(db.select(OutboxMessage)).scalar_one()
    assert message.language == "en"
    assert message.subject == "Choosing a new password for Maison Pour Tous — Petit Charran"
    assert "Someone asked to choose a new password for your staff account" in message.body
    assert "If it was not you, ignore this message: your password is unchanged." in message.body


def test_an_older_link_dies_when_a_newer_one_is_sent(client, make_user):
    user = make_user()
    ask_for_link(client, user.email)
    ask_for_link(client, user.email)
    older, newer = queued_links()
    response = client.get(older)
    assert response.status_code == 410
    assert "un lien plus récent a été envoyé" in response.page
    assert client.get(newer).status_code == 200
    assert choose_password(client, newer).status_code == 302


@pytest.mark.parametrize("how", ["own change", "coordinator's reset", "deactivation"])
def test_a_link_dies_when_the_password_changes_otherwise_or_the_account_is_deactivated(app, client, make_user,
                                                                                       how):
    user = make_user()
    ask_for_link(app.test_client(), user.email)
    [path] = queued_links()
    if how == "own change":
        log_in(client, user.email)
        response = submit(client, "/account/password", {
            "current_password": STAFF_PASSWORD, "new_password": "violet bicycle under rain",
            "confirm_password": "violet bicycle under rain"})
    else:
        coordinator = make_user(Role.COORDINATOR)
        log_in(client, coordinator.email)
        if how == "coordinator's reset":
            response = submit(client, f"/admin/users/{user.id}/password", {
                "reset-new_password": "violet bicycle under rain",
                "reset-confirm_password": "violet bicycle under rain"}, form_url=f"/admin/users/{user.id}")
        else:
            response = submit(client, f"/admin/users/{user.id}", {
                "email": user.email, "display_name": user.display_name, "role": user.role,
                "language": user.language})
            db.session.refresh(user)
            assert not user.active
    assert response.status_code == 302
    stranger = app.test_client()
    assert stranger.get(path).status_code == 410
    assert choose_password(stranger, path).status_code == 410
    assert log_in(app.test_client(), user.email, NEW_PASSWORD).status_code == 200


def test_an_expired_link_is_refused_and_offers_a_new_one(app, client, make_user):
    user = make_user()
    ask_for_link(client, user.email)
    [path] = queued_links()
    with time_machine.travel(utcnow() + timedelta(minutes=29)):
        assert client.get(path).status_code == 200
    with time_machine.travel(utcnow() + timedelta(minutes=31)):
        response = client.get(path)
        assert response.status_code == 410
        assert "Ce lien a expiré : il fonctionnait pendant 30 minutes après son envoi." in response.page
        assert 'action="/login/forgot"' in response.page
        assert choose_password(client, path).status_code == 410
        # The form right there sends a new link that works.
        assert ask_for_link(client, user.email).status_code == 200
        newer = queued_links()[-1]
        assert choose_password(client, newer).status_code == 302


@pytest.mark.parametrize("token", ["Qm9ndXMtdG9rZW4tdGhhdC13YXMtbmV2ZXItc2VudA", "x" * 500, "abc", "é-ç", "a.b~c"])
def test_a_forged_token_gets_404_in_plain_words_with_the_form(client, make_user, token):
    ask_for_link(client, make_user().email)
    response = client.get(f"/login/reset/{token}?lang=en")
    assert response.status_code == 404
    assert "This link is not valid. Check that it was copied whole from the e-mail." in response.page
    assert "Send me a link" in response.page


def test_an_unknown_or_deactivated_address_gets_the_same_answer_and_nothing_is_sent(client, make_user):
    user, gone = make_user(), make_user()
    gone.active = False
    db.session.commit()
    client.set_cookie("lang", "en")
    without_token = lambda page: re.sub(r'value="[^"]+"', "", page)  # noqa: E731
    answers = {email: ask_for_link(client, email) for email in (user.email, "nobody@example.org", gone.email)}
    assert {response.status_code for response in answers.values()} == {200}
    assert SENT_EN in answers[user.email].page
    assert len({without_token(response.page) for response in answers.values()}) == 1
    assert db.session.execute(db.select(OutboxMessage.recipient)).scalars().all() == [user.email]
    assert db.session.execute(db.select(PasswordReset.user_id)).scalars().all() == [user.id]


def test_the_fourth_request_for_one_address_within_the_hour_is_refused(app, client, make_user):
    user, colleague = make_user(), make_user()
    for _ in range(3):
        assert ask_for_link(client, user.email).status_code == 200
    response = ask_for_link(client, user.email)
    assert response.status_code == 429
    assert "Trop de liens ont été demandés pour cette adresse ou depuis cet ordinateur." in response.page
    assert outbox_count() == 3
    # An address never used counts alike: the refusal tells nothing about accounts.
    for _ in range(3):
        ask_for_link(client, "nobody@example.org")
    assert ask_for_link(client, "nobody@example.org").status_code == 429
    # Another account from the same computer still gets its link; an hour later, so does this one.
    assert ask_for_link(client, colleague.email).status_code == 200
    assert outbox_count() == 4
    with time_machine.travel(utcnow() + timedelta(minutes=61)):
        assert ask_for_link(client, user.email).status_code == 200
    assert outbox_count() == 5


def test_one_computer_asking_for_many_addresses_is_refused_after_its_own_limit(app, client, make_user):
    app.config["PASSWORD_RESETS_PER_ADDRESS"] = "4 per hour"
    users = [make_user() for _ in range(5)]
    for user in users[:4]:
        assert ask_for_link(client, user.email).status_code == 200
    assert ask_for_link(client, users[4].email).status_code == 429
    assert outbox_count() == 4
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert ask_for_link(elsewhere, users[4].email).status_code == 200


def test_the_new_password_follows_the_rules_and_the_link_survives_a_refusal(client, make_user):
    user = make_user(name="Nadia Benali")
    ask_for_link(client, user.email)
    [path] = queued_links()
    response = choose_password(client, path, "azertyuiop12")
    assert response.status_code == 200 and "trop courant" in response.page
    response = choose_password(client, path, NEW_PASSWORD, "something else entirely")
    assert response.status_code == 200 and "Les deux mots de passe sont différents." in response.page
    assert choose_password(client, path).status_code == 302


def test_a_bad_address_gets_a_message_not_a_500(client):
    for value in ("", "not an address", "a@" + "b" * 300 + ".org"):
        response = submit(client, "/login/forgot?lang=en", {"email": value})
        assert response.status_code == 200
        assert "Please correct the following" in response.page
    assert outbox_count() == 0


def test_the_login_page_leads_to_the_forgotten_password_page(client):
    page = client.get("/login?lang=en").page
    assert '<a href="/login/forgot">Forgot your password?</a>' in page


def test_the_reset_link_stays_out_of_the_log(app, make_user, caplog):
    """The development server's request lines, and the app's own lines, never show the token."""
    user = make_user()
    ask_for_link(app.test_client(), user.email)
    [path] = queued_links()
    token = path.rsplit("/", 1)[1]
    caplog.set_level(logging.INFO)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{path}", timeout=10) as answer:
            assert answer.status == 200
    finally:
        server.shutdown()
        thread.join()
    lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert any('"GET /login/reset/<secret> HTTP/1.1" 200' in line for line in lines), lines
    assert token not in caplog.text and user.email not in caplog.text


@pytest.mark.parametrize("text, expected", [
    ("GET /login/reset/Zq3vN0x_kP7-Lm2Rt8Yw4Bc6Hd1Js5Fg9Ua0Ei3Oo7Xs HTTP/1.1", "GET /login/reset/<secret> HTTP/1.1"),
    ("Exception on /login/reset/Zq3vN0x_kP7 [POST]", "Exception on /login/reset/<secret> [POST]"),
    ("link: http://localhost/login/reset/Zq3vN0x_kP7", "link: http://localhost/login/reset/<secret>"),
    ("GET /login?next=%2Flogin%2Freset%2FZq3vN0x HTTP/1.1", "GET /login?next=%2Flogin%2Freset%2F<secret> HTTP/1.1"),
    ('File "/srv/app/templates/accounts/reset_password.html", line 3',
     'File "/srv/app/templates/accounts/reset_password.html", line 3'),
])
def test_redact_masks_reset_links(text, expected):
    from tiers_lieu.logs import redact

    assert redact(text) == expected


def test_links_of_an_account_only_last_a_day_in_the_table(client, make_user):
    user = make_user()
    ask_for_link(client, user.email)
    with time_machine.travel(utcnow() + timedelta(days=2)):
        ask_for_link(client, user.email)
    assert db.session.execute(db.select(db.func.count(PasswordReset.id))).scalar_one() == 1
    assert db.session.get(User, user.id).active


def test_an_account_with_an_address_no_mail_server_takes_gets_no_link_and_no_error(app, client, runner):
    """`flask users create` accepts "admin@localhost"; the outbox does not."""
    result = runner.invoke(args=["users", "create", "--email", "admin@localhost", "--name", "Admin",
                                 "--password", STAFF_PASSWORD])
    assert result.exit_code == 0, result.output
    response = submit(client, "/login/forgot?lang=en", {"email": "admin@localhost"})
    assert response.status_code == 200 and "Please correct the following" in response.page
    with app.test_request_context():
        assert send_link(db.session, "admin@localhost") is None
    assert outbox_count() == 0
    assert db.session.execute(db.select(db.func.count(PasswordReset.id))).scalar_one() == 0
