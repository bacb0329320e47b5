"""The centre's public identity and a topic's national lists in a real browser: filled in with the
keyboard alone, in French and English, with no axe-core violation, errors included."""
import pytest

from tiers_lieu.accounts.models import Role
from tiers_lieu.booking.models import Topic
from tiers_lieu.core.centre import Centre
from tiers_lieu.extensions import db

from .browser_helpers import assert_accessible, assert_fits_when_zoomed
from .test_browser_foundation import log_in_with_keyboard

pytestmark = pytest.mark.browser

TEXT = {
    "fr": {"centre": "Le centre", "save": "Enregistrer", "saved": "Les coordonnées du centre sont enregistrées.",
           "map": "Voir ce point sur OpenStreetMap", "count": "36 caractères sur 280",
           "not_france": "Ce point n'est pas en France"},
    "en": {"centre": "The centre", "save": "Save", "saved": "The centre's details are saved.",
           "map": "See this point on OpenStreetMap", "count": "36 of 280 characters",
           "not_france": "This point is not in France"},
}
SUMMARY = "Aide gratuite aux démarches en ligne"  # 36 characters


@pytest.fixture
def coordinator(app, make_user):
    topic = Topic(slug="demarches", name_fr="Démarches administratives", name_en="Administrative procedures",
                  pictogram="demarches.svg", colour="#1d4e89")
    db.session.add(topic)
    db.session.commit()
    return make_user(role=Role.COORDINATOR), topic


def type_into(page, selector, text):
    """Move the focus to the field and type, as a keyboard user does (Ctrl+A clears it first)."""
    page.focus(selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def tick_with_space(page, selector):
    page.focus(selector)
    page.keyboard.press("Space")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_centre_identity_is_entered_with_the_keyboard(live_server, new_page, coordinator, lang):
    user, _ = coordinator
    text = TEXT[lang]
    page = new_page("phone")
    log_in_with_keyboard(page, live_server, user.email)
    page.goto(f"{live_server}/admin/centre?lang={lang}")
    assert page.get_by_role("heading", level=1).inner_text() == text["centre"]
    assert_accessible(page)

    type_into(page, "#siret_or_rna", "732 829 320 00074")
    # The kinds of structure are folded: Enter on the summary opens them.
    page.focus(".form-details > summary")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('.form-details').open")
    type_into(page, "#address", "Place du Petit Charran")
    type_into(page, "#postal_code", "26000")
    type_into(page, "#commune", "valence")
    type_into(page, "#latitude", "44,9263")
    type_into(page, "#longitude", "4.9121")
    type_into(page, "#phone", "04 75 12 34 56")
    type_into(page, "#email", "accueil@example.org")
    tick_with_space(page, "input[name=fees][value='Gratuit']")
    tick_with_space(page, "input[name=specific_support][value='Langues étrangères (autres)']")
    type_into(page, "#summary", SUMMARY)
    page.wait_for_function(f"() => document.querySelector('#summary-count').textContent.trim() === {text['count']!r}")
    page.focus("button[type=submit].button >> nth=-1")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/admin/centre")
    assert text["saved"] in page.inner_text("main")
    assert page.get_by_role("link", name=text["map"]).is_visible()
    assert page.locator("figure.locator svg circle").count() == 1
    assert_accessible(page)
    assert_fits_when_zoomed(page)

    db.session.expire_all()
    centre = db.session.execute(db.select(Centre)).scalar_one()
    assert (centre.siret_or_rna, centre.insee_code, centre.latitude) == ("73282932000074", "26362", 44.9263)
    assert centre.fees == ["Gratuit"] and centre.specific_support == ["Langues étrangères (autres)"]
    assert centre.typology == ["CS"]

    # Latitude and longitude swapped: refused, explained, announced first, still accessible.
    type_into(page, "#latitude", "4.9121")
    type_into(page, "#longitude", "44.9263")
    page.focus("button[type=submit].button >> nth=-1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".error-summary").is_visible()
    page.wait_for_function("() => document.activeElement.classList.contains('error-summary')")
    assert text["not_france"] in page.inner_text("#latitude-error")
    assert page.input_value("#latitude") == "4.9121"
    assert_accessible(page)
    db.session.expire_all()
    assert db.session.execute(db.select(Centre)).scalar_one().latitude == 44.9263


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_topic_gets_its_national_services_and_themes_with_the_keyboard(live_server, new_page, coordinator, lang):
    user, topic = coordinator
    page = new_page("desktop")
    log_in_with_keyboard(page, live_server, user.email)
    page.goto(f"{live_server}/admin/topics/{topic.id}?lang={lang}")
    assert_accessible(page)

    service = page.locator("input[name=mednum_services]").first
    service_value = service.get_attribute("value")
    service.focus()
    page.keyboard.press("Space")
    # The data·inclusion themes are folded by category: open the first one with the keyboard.
    summary = page.locator(f"#{'di_thematiques'} details > summary").first
    summary.focus()
    page.keyboard.press("Enter")
    theme = page.locator("input[name=di_thematiques]").first
    page.wait_for_function("() => document.querySelector('input[name=di_thematiques]').checkVisibility()")
    theme_value = theme.get_attribute("value")
    theme.focus()
    page.keyboard.press("Space")
    assert_accessible(page)
    page.locator("#name_en").focus()
    page.keyboard.press("Enter")  # Enter in a text field sends the form
    page.wait_for_url(f"{live_server}/admin/topics")
    db.session.expire_all()
    topic = db.session.get(Topic, topic.id)
    assert topic.mednum_services == [service_value] and topic.di_thematiques == [theme_value]

    page.goto(f"{live_server}/admin/topics/{topic.id}")
    # The category with a ticked theme comes back unfolded.
    assert page.locator(f"input[name=di_thematiques][value='{theme_value}']").is_checked()
    assert page.locator(f"input[name=di_thematiques][value='{theme_value}']").is_visible()
    assert_accessible(page)
