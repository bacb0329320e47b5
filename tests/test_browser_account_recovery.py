"""A forgotten password and two-step verification in a real browser, in French and in English:
every page passes axe-core, errors included, and the whole reset is walked through."""
import re
import time
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import expect

from tiers_lieu.accounts.models import Role
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import OutboxMessage

from .browser_helpers import assert_accessible, assert_fits_when_zoomed
from .conftest import STAFF_PASSWORD

pytestmark = pytest.mark.browser

NEW_PASSWORD = "purple heron over Crest"
TEXT = {
    "fr": {"forgot": "Mot de passe oublié ?", "email": "Adresse e-mail", "send": "M'envoyer un lien",
           "sent": "Si un compte utilise cette adresse", "new": "Nouveau mot de passe",
           "again": "Nouveau mot de passe, à nouveau", "save": "Enregistrer le nouveau mot de passe",
           "saved": "Votre nouveau mot de passe est enregistré", "used": "Ce lien a déjà servi",
           "password": "Mot de passe", "log_in": "Se connecter", "turn_on": "Activer la vérification en deux étapes",
           "app_code": "Code affiché par l'application", "code": "Code", "kept": "Je les ai gardés",
           "log_out": "Se déconnecter", "wrong": "Ce n'est pas le code que l'application affiche maintenant.",
           "turn_off": "Désactiver la vérification en deux étapes"},
    "en": {"forgot": "Forgot your password?", "email": "E-mail address", "send": "Send me a link",
           "sent": "If an account uses this address", "new": "New password",
           "again": "New password, again", "save": "Save the new password",
           "saved": "Your new password is saved", "used": "This link has already been used",
           "password": "Password", "log_in": "Log in", "turn_on": "Turn on two-step verification",
           "app_code": "Code shown by the app", "code": "Code", "kept": "I have kept them",
           "log_out": "Log out", "wrong": "This is not the code the app shows now.",
           "turn_off": "Turn off two-step verification"},
}


def reset_link_in_outbox():
    db.session.commit()  # a fresh look: the live server wrote the message
    body = db.session.execute(db.select(OutboxMessage.body).where(OutboxMessage.kind == "password_reset")
                              .order_by(OutboxMessage.id.desc()).limit(1)).scalar_one()
    return urlsplit(re.search(r"http://\S+/login/reset/[A-Za-z0-9_-]{43}", body).group()).path


def log_in(page, base, email, password, text):
    page.goto(f"{base}/login")
    page.get_by_label(text["email"]).fill(email)
    page.get_by_label(text["password"], exact=True).fill(password)
    page.locator("main").get_by_role("button", name=text["log_in"]).click()
    page.wait_for_load_state("load")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_forgotten_password_then_two_step_verification(app, live_server, new_page, make_user, lang):
    text = TEXT[lang]
    user = make_user(Role.COORDINATOR, name="Claire Coordination", language=lang)
    page = new_page("phone", locale=f"{lang}-FR")
    page.goto(f"{live_server}/login?lang={lang}")
    page.get_by_role("link", name=text["forgot"]).click()
    page.wait_for_url(f"{live_server}/login/forgot")
    assert page.locator("html").get_attribute("lang") == lang
    assert_accessible(page)

    # Sent empty: the error is announced and linked to its field.
    page.get_by_role("button", name=text["send"]).click()
    expect(page.locator(".error-summary")).to_be_visible()  # waits for the answer, not the old page
    assert_accessible(page)
    page.get_by_label(text["email"]).fill(user.email)
    page.get_by_role("button", name=text["send"]).click()
    page.wait_for_load_state("load")
    assert text["sent"] in page.locator("main").inner_text()
    assert_accessible(page)

    # The link from the e-mail: a weak password refused, then a good one.
    path = reset_link_in_outbox()
    page.goto(live_server + path)
    assert_accessible(page)
    page.get_by_label(text["new"], exact=True).fill("short")
    page.get_by_label(text["again"]).fill("short")
    page.get_by_role("button", name=text["save"]).click()
    expect(page.locator(".error-summary")).to_be_visible()  # waits for the answer, not the old page
    assert_accessible(page)
    page.get_by_label(text["new"], exact=True).fill(NEW_PASSWORD)
    page.get_by_label(text["again"]).fill(NEW_PASSWORD)
    page.get_by_role("button", name=text["save"]).click()
    page.wait_for_url(f"{live_server}/login")
    assert text["saved"] in page.locator(".flashes").inner_text()
    assert_accessible(page)

    # Used once: the page says so and offers a new link.
    response = page.goto(live_server + path)
    assert response.status == 410
    assert text["used"] in page.locator("main").inner_text()
    assert page.get_by_role("button", name=text["send"]).is_visible()
    assert_accessible(page)

    # The new password logs in; two-step verification is turned on from the account.
    log_in(page, live_server, user.email, NEW_PASSWORD, text)
    page.wait_for_url(f"{live_server}/desk/")
    page.goto(f"{live_server}/account/two-step")
    assert page.get_by_role("heading", level=1).inner_text() == text["turn_on"]
    assert_accessible(page)
    assert_fits_when_zoomed(page)
    secret = page.locator("#two-step-key").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    near = {totp.at(time.time() + 30 * offset) for offset in (-1, 0, 1)}
    page.get_by_role("textbox", name=text["app_code"]).fill(next(code for code in ("000000", "111111", "222222") if code not in near))
    page.get_by_role("button", name=text["turn_on"]).click()
    page.wait_for_load_state("load")
    assert text["wrong"] in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("textbox", name=text["app_code"]).fill(totp.now())
    page.get_by_role("button", name=text["turn_on"]).click()
    page.wait_for_load_state("load")
    codes = page.locator(".recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    assert_accessible(page)
    assert_fits_when_zoomed(page)
    page.get_by_role("link", name=text["kept"]).click()
    page.wait_for_url(f"{live_server}/account")

    # Logging in again asks for the code, on a page of its own.
    page.get_by_role("button", name=text["log_out"]).click()
    page.wait_for_url(f"{live_server}/login")
    log_in(page, live_server, user.email, NEW_PASSWORD, text)
    page.wait_for_url(f"{live_server}/login/two-step")
    assert page.locator("html").get_attribute("lang") == lang
    assert_accessible(page)
    page.get_by_label(text["code"], exact=True).fill("123456" if totp.at(time.time()) != "123456" else "654321")
    page.locator("main").get_by_role("button", name=text["log_in"]).click()
    expect(page.locator(".error-summary")).to_be_visible()  # waits for the answer, not the old page
    assert_accessible(page)
    page.get_by_label(text["code"], exact=True).fill(totp.at(time.time() + 30))
    page.locator("main").get_by_role("button", name=text["log_in"]).click()
    page.wait_for_url(f"{live_server}/desk/")
    page.goto(f"{live_server}/account/two-step")
    assert secret not in page.locator("main").inner_text()
    assert_accessible(page)

    # Another coordinator sees it on the account's page, and may turn it off.
    colleague = make_user(Role.COORDINATOR, language=lang)
    other = new_page("desktop", locale=f"{lang}-FR")
    log_in(other, live_server, colleague.email, STAFF_PASSWORD, text)
    other.wait_for_url(f"{live_server}/desk/")
    other.goto(f"{live_server}/admin/users/{user.id}")
    assert other.get_by_role("button", name=text["turn_off"]).is_visible()
    assert_accessible(other)
    other.get_by_role("button", name=text["turn_off"]).click()
    other.wait_for_url(f"{live_server}/admin/users/{user.id}")
    assert other.get_by_role("button", name=text["turn_off"]).count() == 0
    assert_accessible(other)
