"""The foundation's pages in a real browser: accessible in both languages, phone and desktop."""
import pytest
from playwright.sync_api import expect

from tiers_lieu.accounts.models import Role

from .browser_helpers import ZOOMED_PHONE, assert_accessible, horizontal_overflow
from .conftest import STAFF_PASSWORD

pytestmark = pytest.mark.browser


def log_in_with_keyboard(page, base, email):
    page.goto(f"{base}/login")
    page.get_by_label("Adresse e-mail").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(STAFF_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/desk/")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("locale, lang, heading", [
    ("fr-FR", "fr", "Aide gratuite au numérique"),
    ("en-GB", "en", "Help with digital tools, free of charge"),
])
def test_public_pages_are_accessible(live_server, new_page, viewport, locale, lang, heading):
    page = new_page(viewport, locale)
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert_accessible(page)
    page.goto(live_server + "/login")
    assert_accessible(page)
    page.goto(live_server + "/no-such-page")
    assert_accessible(page)


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_admin_users_page_is_accessible(live_server, new_page, make_user, viewport, lang):
    coordinator = make_user(role=Role.COORDINATOR)
    make_user(name="Julien Morel")
    page = new_page(viewport)
    log_in_with_keyboard(page, live_server, coordinator.email)
    page.goto(f"{live_server}/admin/users?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.get_by_role("link", name="Julien Morel").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Julien Morel").click()
    assert_accessible(page)


def test_form_errors_are_announced_and_linked_to_their_field(live_server, new_page, make_user):
    make_user(email="someone@example.org")
    page = new_page("phone")
    page.goto(live_server + "/login?lang=en")
    page.get_by_label("E-mail address").fill("someone@example.org")
    page.get_by_label("Password").fill("wrong password entirely")
    page.get_by_role("button", name="Log in").click()
    summary = page.get_by_role("alert")
    assert "Wrong e-mail address or password." in summary.inner_text()
    password = page.get_by_label("Password")
    assert password.get_attribute("aria-invalid") == "true"
    assert password.get_attribute("aria-describedby") == "password-error"
    assert page.get_by_label("E-mail address").input_value() == "someone@example.org"
    assert_accessible(page)


def test_skip_link_and_language_switch_work_with_the_keyboard(live_server, new_page):
    page = new_page("phone")
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu principal")
    assert skip.evaluate("element => element === document.activeElement")
    assert skip.bounding_box()["y"] >= 0  # visible once focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")  # waits for the page the click opens
    page.goto(live_server + "/login")
    assert page.locator("html").get_attribute("lang") == "en"  # remembered


def test_logout_from_the_menu(live_server, new_page, make_user):
    user = make_user()
    page = new_page("desktop")
    log_in_with_keyboard(page, live_server, user.email)
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(f"{live_server}/login")
    page.goto(f"{live_server}/desk/")
    assert "/login" in page.url


def test_pages_load_nothing_from_other_hosts(live_server, new_page, make_user):
    requested = []
    page = new_page("phone")
    page.on("request", lambda request: requested.append(request.url))
    page.goto(live_server + "/")
    page.goto(live_server + "/login")
    assert requested and all(url.startswith(live_server) for url in requested)


@pytest.mark.parametrize("path", ["/", "/login", "/no-such-page", "/?lang=en", "/login?lang=en"])
def test_pages_fit_a_360_pixel_screen_at_200_percent_zoom(live_server, browser, path):
    context = browser.new_context(viewport=ZOOMED_PHONE)
    page = context.new_page()
    page.goto(live_server + path)
    overflow = horizontal_overflow(page)
    context.close()
    assert overflow <= 0
