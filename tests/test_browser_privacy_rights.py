"""Issue 13 in a real browser: a coordinator finds a resident, shows what the centre holds about
them in their language, and erases them — in French and in English, with no axe-core violation."""
import pytest
from playwright.sync_api import expect

from tiers_lieu.accounts.models import Role
from tiers_lieu.database import utcnow
from tiers_lieu.desk.models import Resident
from tiers_lieu.extensions import db

from .browser_helpers import assert_accessible
from .conftest import STAFF_PASSWORD

pytestmark = pytest.mark.browser

# Written out here rather than taken from the catalogues, so that a missing translation fails.
TEXT = {
    "fr": {"locale": "fr-FR", "email": "Adresse e-mail", "password": "Mot de passe",
           "holds": "Ce que le centre conserve", "title": "Ce que le centre conserve sur vous",
           "erase": "Effacer les données de cette personne…", "confirm_title": "Effacer les données d'une personne",
           "erase_now": "Effacer maintenant", "erased": "Données effacées",
           "contact": "Numéro de téléphone ou adresse e-mail", "show": "Voir ce que le centre conserve",
           "nothing": "Rien de conservé"},
    "en": {"locale": "en-GB", "email": "E-mail address", "password": "Password",
           "holds": "What the centre holds", "title": "What the centre holds about you",
           "erase": "Erase this person's details…", "confirm_title": "Erase a person's details",
           "erase_now": "Erase now", "erased": "Details erased",
           "contact": "Phone number or e-mail address", "show": "Show what the centre holds",
           "nothing": "Nothing held"},
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_coordinator_shows_what_is_held_and_erases_it(live_server, new_page, make_user, lang):
    text = TEXT[lang]
    coordinator = make_user(role=Role.COORDINATOR, language=lang)
    resident = Resident(first_name="Zénobie", last_name="Quartermaine", phone="+33611223344", language=lang,
                        name_key="zenobie quartermaine", remember_consent_at=utcnow(),
                        remember_consent_by_id=coordinator.id)
    db.session.add(resident)
    db.session.commit()
    page = new_page(viewport="desktop", locale=text["locale"])
    page.goto(f"{live_server}/login")
    page.get_by_label(text["email"]).fill(coordinator.email)
    page.get_by_label(text["password"]).fill(STAFF_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/desk/")

    page.goto(f"{live_server}/desk/residents/{resident.id}")
    page.get_by_role("link", name=text["holds"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text["title"])
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_text("06 11 22 33 44").first).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name=text["erase"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text["confirm_title"])
    assert_accessible(page)
    page.get_by_role("button", name=text["erase_now"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text["erased"])
    assert_accessible(page)

    page.goto(f"{live_server}/desk/privacy")
    page.get_by_label(text["contact"]).fill("06 11 22 33 44")
    page.get_by_role("button", name=text["show"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text["nothing"])
    assert_accessible(page)
