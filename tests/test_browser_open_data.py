"""/admin/open-data in a real browser, in French and English: no axe-core violation, readable at
200 % zoom, with a field left out, its reason and the link that fixes it, reached by keyboard."""
import pytest
from sqlalchemy import select

from tiers_lieu.accounts.models import Role
from tiers_lieu.booking.demo import demo_booking
from tiers_lieu.core.centre import Centre
from tiers_lieu.demo import demo_centre, demo_staff
from tiers_lieu.extensions import db

from .browser_helpers import assert_accessible, assert_fits_when_zoomed
from .test_browser_foundation import log_in_with_keyboard

pytestmark = pytest.mark.browser

TEXT = {
    "fr": {"title": "Données ouvertes", "why": "Ce point n'est pas en France", "fix": "Corriger sur la page du centre",
           "centre": "Le centre", "service": "Aide aux démarches administratives"},
    "en": {"title": "Open data", "why": "This point is not in France", "fix": "Fix it on the centre's page",
           "centre": "The centre", "service": "Help with administrative procedures"},
}


@pytest.fixture
def coordinator(app, make_user):
    demo_centre()
    demo_staff()
    demo_booking()
    centre = db.session.execute(select(Centre)).scalar_one()
    centre.latitude, centre.longitude = 51.5, -0.12  # London: left out of the files
    db.session.commit()
    return make_user(role=Role.COORDINATOR)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_open_data_page_says_what_is_left_out_and_where_to_fix_it(live_server, new_page, coordinator, lang):
    text = TEXT[lang]
    page = new_page("phone")
    log_in_with_keyboard(page, live_server, coordinator.email)
    page.goto(f"{live_server}/admin/open-data?lang={lang}")
    assert page.get_by_role("heading", level=1).inner_text() == text["title"]
    assert page.get_by_role("row").filter(has_text=text["why"]).count() == 2  # latitude and longitude
    assert page.get_by_text(text["service"]).first.is_visible()
    # The addresses are links the coordinator can copy or follow.
    assert page.locator('a[href="http://localhost/open-data/lieux-de-mediation-numerique.csv"]').count() == 1
    assert_accessible(page)
    assert_fits_when_zoomed(page)

    # The first "fix it" link, by keyboard, opens the centre's page at the field.
    link = page.get_by_role("link", name=text["fix"]).first
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/centre*")
    assert page.get_by_role("heading", level=1).inner_text() == text["centre"]
    page.wait_for_function("() => location.hash === '#latitude'")
