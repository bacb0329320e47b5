"""Issue 13 in a real browser: a resident reaches the privacy notice from the booking form and reads it
on a phone in French and English; a coordinator prints the record of processing. No axe-core violation."""
import pytest
from playwright.sync_api import expect

from tiers_lieu.accounts.models import Role
from tiers_lieu.extensions import db
from tiers_lieu.privacy import retention

from .browser_helpers import assert_accessible, assert_fits_when_zoomed
from .conftest import STAFF_PASSWORD
from .factories import make_slots, make_topic

pytestmark = pytest.mark.browser

# Written out here rather than taken from the catalogues, so that a missing translation fails.
TEXT = {
    "fr": {"locale": "fr-FR", "link": "Comment nous utilisons vos données personnelles",
           "title": "Vos données personnelles", "kept": "18 mois après le rendez-vous",
           "complain": "Si vous n'êtes pas satisfait"},
    "en": {"locale": "en-GB", "link": "How we use your personal data",
           "title": "Your personal data", "kept": "18 months after the appointment",
           "complain": "If you are not satisfied"},
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_resident_reads_the_notice_from_the_booking_form(live_server, new_page, lang):
    text = TEXT[lang]
    retention.save(db.session, actor=None, booking_months=18)
    db.session.commit()
    topic = make_topic()
    slot = make_slots(topic)[0]
    page = new_page(viewport="phone", locale=text["locale"])
    page.goto(f"{live_server}/book/slot/{slot.id}?topic={topic.slug}&lang={lang}")
    page.locator("main").get_by_role("link", name=text["link"]).click()
    page.wait_for_url(f"{live_server}/privacy")
    assert page.locator("html").get_attribute("lang") == lang
    expect(page.get_by_role("heading", level=1)).to_have_text(text["title"])
    expect(page.get_by_text(text["kept"])).to_be_visible()
    expect(page.get_by_role("heading", name=text["complain"])).to_be_visible()
    assert_accessible(page)
    assert_fits_when_zoomed(page)


def test_a_coordinator_opens_the_record_of_processing_to_print_it(live_server, new_page, make_user):
    coordinator = make_user(role=Role.COORDINATOR, language="en")
    page = new_page(viewport="desktop", locale="en-GB")
    page.goto(f"{live_server}/login?lang=en")
    page.get_by_label("E-mail address").fill(coordinator.email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/desk/")
    page.goto(f"{live_server}/admin/")
    page.get_by_role("link", name="Record of processing").click()
    page.wait_for_url(f"{live_server}/admin/privacy")
    expect(page.get_by_role("heading", level=1)).to_have_text("Record of processing")
    expect(page.get_by_role("button", name="Print")).to_be_visible()  # shown by print.js
    expect(page.get_by_role("region", name="Retention").get_by_role("row")).to_have_count(6)
    assert_accessible(page)
