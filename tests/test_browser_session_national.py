"""The session form's national vocabulary in a real browser, in French and English: ticking a topic
ticks its national themes (never unticking the facilitator's own), the administrative block and the
other commune's postal code show when they apply, all with the keyboard; axe-core on the form, also
when it comes back with errors."""
import re

import pytest

from tiers_lieu.accounts.models import Role
from tiers_lieu.desk.lists import ensure_default_lists, ensure_demo_communes
from tiers_lieu.desk.models import HelpSession
from tiers_lieu.extensions import db

from .browser_helpers import assert_accessible, assert_fits_when_zoomed
from .factories import make_topic
from .test_browser_sessions import active, log_in, tab_to

pytestmark = pytest.mark.browser

TEXT = {
    "fr": {"saved": "L'accompagnement est enregistré.", "no_theme": "Cochez au moins une thématique nationale",
           "bad_postal_code": "Aucune commune n'a le code postal 99999"},
    "en": {"saved": "The session is saved.", "no_theme": "Tick at least one national theme",
           "bad_postal_code": "No commune has the postal code 99999"},
}


@pytest.fixture
def facilitator(app, make_user):
    ensure_default_lists(db.session)
    ensure_demo_communes(db.session)
    return make_user(role=Role.FACILITATOR, name="Samia Médiatrice")


@pytest.fixture
def topics(app):
    return {"demarches": make_topic(national_themes=["admin_procedures"]),
            "smartphone": make_topic(slug="smartphone", name_fr="Prise en main du smartphone",
                                     name_en="Getting started with a smartphone", position=2,
                                     national_themes=["device_handling", "social_media"])}


def themes_ticked(page):
    return page.evaluate("""() => Array.from(document.querySelectorAll('input[name="themes"]:checked'))
        .map(input => input.value).sort()""")


def tab_to_value(page, name, value, limit=80):
    """Press Tab until the checkbox `name` of this value has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = active(page)
        if focused["name"] == name and focused["value"] == value:
            return focused
    raise AssertionError(f"Tab never reached {name}={value!r}")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_topics_tick_their_themes_and_the_form_is_filled_with_the_keyboard(live_server, new_page, facilitator,
                                                                             topics, lang):
    page = new_page("desktop", "fr-FR" if lang == "fr" else "en-GB")
    log_in(page, live_server, facilitator, lang)
    page.goto(f"{live_server}/desk/sessions/new?lang={lang}")
    assert themes_ticked(page) == []
    assert page.locator("#admin-block").is_hidden() and page.locator(".other-commune").is_hidden()
    assert_accessible(page)

    # The facilitator's own theme first, then a topic: its themes are added to it.
    tab_to_value(page, "themes", "email")
    page.keyboard.press("Space")
    page.keyboard.press("Shift+Tab")
    for _ in range(40):
        if active(page)["name"] == "topics":
            break
        page.keyboard.press("Shift+Tab")
    assert active(page)["value"] == str(topics["smartphone"].id)
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('input[name=themes][value=device_handling]').checked")
    assert themes_ticked(page) == ["device_handling", "email", "social_media"]
    # Unticking the topic leaves its themes: they may have been the facilitator's choice too.
    page.keyboard.press("Space")
    assert themes_ticked(page) == ["device_handling", "email", "social_media"]
    tab_to_value(page, "themes", "social_media")
    page.keyboard.press("Space")  # untick one by hand
    # The administrative theme shows the procedure's block.
    tab_to_value(page, "themes", "admin_procedures")
    page.keyboard.press("Space")
    page.wait_for_function("() => !document.getElementById('admin-block').hidden")
    tab_to(page, "admin_domain")
    page.keyboard.press("End")  # the last domain: Associations
    assert page.locator("select[name=admin_domain]").input_value() == "associations"
    # Gender, then "another commune" and its postal code.
    assert tab_to(page, "gender")["value"] == "not_given"
    page.keyboard.press("ArrowUp")
    assert active(page)["value"] == "female"
    tab_to(page, "commune")
    page.keyboard.press("End")
    assert page.locator("select[name=commune]").input_value() == "other"
    page.wait_for_function("() => !document.querySelector('.other-commune').hidden")
    tab_to(page, "other_postal_code")
    page.keyboard.type("99999")
    tab_to(page, "note")
    page.keyboard.press("Tab")
    assert active(page)["type"] == "submit"
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # A postal code no commune has: the form comes back with everything typed, and says why.
    assert TEXT[lang]["bad_postal_code"] in page.content()
    assert themes_ticked(page) == ["admin_procedures", "device_handling", "email"]
    assert page.locator(".other-commune").is_visible()
    assert_accessible(page)
    page.locator("input[name=other_postal_code]").fill("26400")
    page.locator("input[name=other_postal_code]").press("Enter")
    page.wait_for_url(re.compile(r".*/desk/.*day=.*"))
    assert TEXT[lang]["saved"] in page.content()

    db.session.expire_all()
    logged = db.session.execute(db.select(HelpSession)).scalar_one()
    assert logged.themes == ["device_handling", "email", "admin_procedures"]
    assert (logged.admin_domain, logged.gender, logged.commune_id, logged.other_postal_code) == (
        "associations", "female", None, "26400")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_form_sent_without_a_theme_comes_back_accessible_with_the_topics_themes(live_server, new_page,
                                                                                     facilitator, topics, lang,
                                                                                     viewport):
    page = new_page(viewport, "fr-FR" if lang == "fr" else "en-GB")
    page.add_init_script("window.addEventListener('DOMContentLoaded', () => {"
                         "  const form = document.getElementById('session-form');"
                         "  if (form) { form.addEventListener('change', e => e.stopImmediatePropagation(), true); }"
                         "});")  # as without JavaScript: ticking a topic ticks nothing
    log_in(page, live_server, facilitator, lang)
    page.goto(f"{live_server}/desk/sessions/new?lang={lang}")
    page.locator(f"input[name=topics][value='{topics['smartphone'].id}']").check()
    assert themes_ticked(page) == []
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer l'accompagnement" if lang == "fr" else "Save the session"
                         ).first.click()
    assert TEXT[lang]["no_theme"] in page.content()
    assert themes_ticked(page) == ["device_handling", "social_media"]  # to confirm, not saved silently
    assert db.session.execute(db.select(db.func.count(HelpSession.id))).scalar_one() == 0
    assert_accessible(page)
    if viewport == "phone":
        assert_fits_when_zoomed(page)
