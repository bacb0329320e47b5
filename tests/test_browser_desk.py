"""Issue 4 in a real browser: the facilitator's day, a walk-in taking a number at the kiosk,
called from the desk and shown on the waiting-room screen — in French and in English, on a phone
and on a desktop, with no axe-core violation."""
import re

import pytest
from playwright.sync_api import expect

from tiers_lieu.demo import load_demo
from tiers_lieu.desk.demo import TODAY

from .browser_helpers import assert_accessible, assert_fits_when_zoomed
from .conftest import STAFF_PASSWORD

pytestmark = pytest.mark.browser

# Written out here rather than taken from the catalogues, so that a missing translation fails.
TEXT = {
    "fr": {"locale": "fr-FR", "email": "Adresse e-mail", "password": "Mot de passe", "arrived": "Arrivé·e",
           "has_arrived": "est arrivé·e", "queue": "File d'attente sans rendez-vous", "desk": "Votre poste",
           "call_next": "Appeler le suivant", "call": "Appelez {ticket} au poste 2.", "topic": "Démarches administratives",
           "your_number": "Votre numéro", "done": "Terminé", "now_serving": "Numéros appelés",
           "log": "Saisir l'accompagnement", "nobody": "Personne n'attend pour le moment.",
           "rule": "Les rendez-vous passent à leur heure"},
    "en": {"locale": "en-GB", "email": "E-mail address", "password": "Password", "arrived": "Arrived",
           "has_arrived": "has arrived", "queue": "Walk-in queue", "desk": "Your desk",
           "call_next": "Call next", "call": "Call {ticket} to desk 2.", "topic": "Administrative procedures",
           "your_number": "Your number", "done": "Done", "now_serving": "Now serving",
           "log": "Log the session", "nobody": "Nobody is waiting at the moment.",
           "rule": "Appointments are served at their time"},
}


@pytest.fixture
def demo(app, make_user):
    load_demo()

    def staff(lang):
        return make_user(language=lang)

    return staff


def log_in(page, base, email, text):
    page.goto(f"{base}/login")
    page.get_by_label(text["email"]).fill(email)
    page.get_by_label(text["password"]).fill(STAFF_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/desk/")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_walk_in_takes_a_number_is_called_and_shown(live_server, new_page, demo, lang):
    text = TEXT[lang]
    user = demo(lang)

    # The facilitator's day, with the demo's residents.
    desk = new_page("desktop", text["locale"])
    log_in(desk, live_server, user.email, text)
    expect(desk.get_by_role("heading", name=text["queue"])).to_be_visible()
    expect(desk.get_by_text(text["rule"])).to_be_visible()
    assert_accessible(desk)
    expected = desk.locator(".booking-booked").first
    if expected.count():
        name = expected.locator(".booking-who strong").inner_text()
        expected.get_by_role("button", name=text["arrived"]).click()
        expect(desk.locator(".flash").first).to_contain_text(f"{name} {text['has_arrived']}")
        assert_accessible(desk)

    # A walk-in takes a number at the kiosk, on a phone-sized screen, without any login.
    kiosk = new_page("phone", text["locale"])
    kiosk.goto(f"{live_server}/kiosk?lang={lang}")
    assert_accessible(kiosk)
    assert_fits_when_zoomed(kiosk)
    kiosk.get_by_role("button", name=text["topic"]).click()
    number = kiosk.locator(".kiosk-number")
    expect(number).to_have_text(re.compile(r"A-\d{3}"))
    ticket = number.inner_text()
    expect(kiosk.get_by_role("heading", level=1)).to_contain_text(text["your_number"])
    assert_accessible(kiosk)
    kiosk.get_by_role("link", name=text["done"]).click()
    kiosk.wait_for_url(f"{live_server}/kiosk")

    # The waiting-room screen, on a desktop, before the call.
    screen = new_page("desktop", text["locale"])
    screen.goto(f"{live_server}/display?lang={lang}")
    expect(screen.get_by_role("heading", level=1)).to_have_text(text["now_serving"])
    assert_accessible(screen)

    # The facilitator calls the waiting people in order until the kiosk's ticket comes up.
    desk.get_by_label(text["desk"]).fill("2")
    for _attempt in range(5):
        desk.get_by_role("button", name=text["call_next"]).click()
        desk.wait_for_load_state("load")
        flash = desk.locator(".flash").first
        expect(flash).to_contain_text(re.compile(r"A-\d{3}"), timeout=15_000)  # a busy CI machine
        if ticket in flash.inner_text():
            break
    expect(desk.locator(".flash").first).to_have_text(text["call"].format(ticket=ticket))
    expect(desk.get_by_role("link", name=text["log"]).last).to_be_visible()
    assert_accessible(desk)

    # The screen updates itself (JavaScript), showing the number and the desk, no name.
    expect(screen.locator(".display-latest")).to_contain_text(ticket, timeout=15_000)
    expect(screen.locator(".display-latest")).to_contain_text("2")
    for first_name, *_rest in TODAY:
        assert first_name not in screen.content()
    assert_accessible(screen)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_day_view_on_a_phone(live_server, new_page, demo, lang):
    text = TEXT[lang]
    user = demo(lang)
    page = new_page("phone", text["locale"])
    log_in(page, live_server, user.email, text)
    assert_accessible(page)
    assert_fits_when_zoomed(page)
    page.goto(f"{live_server}/display?lang={lang}")
    assert_accessible(page)
    assert_fits_when_zoomed(page)


def test_the_day_refreshes_itself_without_losing_typing(live_server, new_page, demo, app):
    """desk.js replaces the queue when it changes, unless a field in it holds unsent input."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tiers_lieu.desk.reception import queue
    from tiers_lieu.extensions import db

    user = demo("en")
    page = new_page("desktop", "en-GB")
    log_in(page, live_server, user.email, TEXT["en"])
    page.get_by_label("First name (optional)").fill("Typed, not sent")
    day = datetime.now(ZoneInfo("Europe/Paris")).date()
    topic_id = db.session.execute(db.text("SELECT id FROM topic ORDER BY position LIMIT 1")).scalar()
    queue.issue(db.session, day=day, topic_id=topic_id, first_name="Newcomer")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_timeout(1500)
    # The agenda refreshed, the queue (where the typing is) did not.
    assert page.get_by_label("First name (optional)").input_value() == "Typed, not sent"
    assert "Newcomer" not in page.locator("#desk-queue").inner_text()
    page.get_by_label("First name (optional)").fill("")
    page.locator("h1").click()
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.locator("#desk-queue")).to_contain_text("Newcomer", timeout=5_000)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_desk_reaches_call_next_in_a_few_keys_and_the_day_starts_in_the_first_screen(live_server, new_page, demo, lang):
    """Issue 11: "Call next" took 49 presses of Tab, and on a phone the filters and the menu pushed
    the day below the first screen."""
    text = TEXT[lang]
    user = demo(lang)
    page = new_page("phone", text["locale"])
    log_in(page, live_server, user.email, text)

    agenda = page.locator("#agenda-title")
    assert agenda.bounding_box()["y"] < page.viewport_size["height"], "the agenda starts below the first screen"
    assert not page.locator("details.desk-filters-box").evaluate("details => details.open")

    presses = 0
    page.locator("body").focus()
    while presses < 8:
        page.keyboard.press("Tab")
        presses += 1
        if page.evaluate("document.activeElement.getAttribute('href')") == "#desk-queue":
            page.keyboard.press("Enter")
            break
    else:
        pytest.fail("no skip link to the walk-in queue among the first keys")
    for _ in range(3):
        page.keyboard.press("Tab")
        presses += 1
        if page.evaluate("document.activeElement.textContent.trim()") == text["call_next"]:
            break
    else:
        pytest.fail("Call next is not within three keys of the queue")
    assert presses <= 6, presses

    # A filter in use keeps the filters open, and says so.
    page.goto(f"{live_server}/desk/?place=1")
    assert page.locator("details.desk-filters-box").evaluate("details => details.open")
    assert_accessible(page)
