"""The help-session log in a real browser, filled with the keyboard alone (Tab, Space, arrows, Enter),
in French and in English; axe-core on the session form, the residents' search and a resident's page."""
import re

import pytest
from playwright.sync_api import expect

from tiers_lieu.accounts.models import Role
from tiers_lieu.booking.models import Booking, BookingStatus
from tiers_lieu.database import utcnow
from tiers_lieu.desk.lists import ensure_default_lists
from tiers_lieu.desk.models import Attendee, HelpSession, Resident, search_key
from tiers_lieu.extensions import db

from .factories import make_slots, make_topic
from .browser_helpers import assert_accessible, assert_fits_when_zoomed
from .conftest import STAFF_PASSWORD

pytestmark = pytest.mark.browser

LANGUAGES = ["fr", "en"]
TEXT = {
    "fr": {"title": "Saisir un accompagnement", "warning": "N'écrivez pas d'information de santé",
           "saved": "L'accompagnement est enregistré.", "follow_up": "Suivi pour Awa", "booked": "Rendez-vous réservé",
           "search": "Nom ou numéro de téléphone", "history": "Accompagnements"},
    "en": {"title": "Log a help session", "warning": "Do not write health information",
           "saved": "The session is saved.", "follow_up": "Follow-up for Awa", "booked": "Appointment booked",
           "search": "Name or phone number", "history": "Help sessions"},
}


@pytest.fixture
def facilitator(app, make_user):
    ensure_default_lists(db.session)
    return make_user(role=Role.FACILITATOR, name="Samia Médiatrice")


def log_in(page, base, user, lang):
    page.goto(f"{base}/login?lang={lang}")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill(STAFF_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/desk/.*"))
    page.goto(f"{base}/desk/sessions/?lang={lang}")  # logging in chose the account's language


def active(page):
    return page.evaluate("""() => { const e = document.activeElement;
        return {name: e.name || "", value: e.value || "", type: e.type || e.tagName.toLowerCase()}; }""")


def tab_to(page, name, limit=40):
    """Press Tab until the field called `name` has the focus (a date input has several stops)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if active(page)["name"] == name:
            return active(page)
    raise AssertionError(f"Tab never reached {name!r}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_session_is_logged_with_the_keyboard_alone(live_server, new_page, facilitator, make_booking, lang):
    # "demarches": its national theme is ticked with it, and the form asks for the procedure's domain.
    topic = make_topic(national_themes=["admin_procedures"])
    slot = make_slots(topic, days_ahead=0, hour=23)[0]
    later = make_slots(topic, days_ahead=2, hour=10)[0]
    booking = make_booking(slot, topic=topic, status=BookingStatus.CHECKED_IN, first_name="Awa")
    follow_up = lang == "fr"  # French: "to be continued" and a follow-up; English: resolved

    page = new_page("desktop", f"{lang}-FR" if lang == "fr" else "en-GB")
    log_in(page, live_server, facilitator, lang)
    page.goto(f"{live_server}/desk/sessions/new?booking={booking.id}")
    assert page.get_by_role("heading", level=1).inner_text() == TEXT[lang]["title"]
    assert page.get_by_text(TEXT[lang]["warning"]).first.is_visible()  # always under the note
    # Only what applies shows: no workshop block for individual help, no mandate unless "for".
    assert page.locator("#workshop-block").is_hidden()
    assert page.locator(".aidants-connect").is_hidden()

    assert tab_to(page, "kind")["value"] == "individual"  # the checked radio holds the group's stop
    assert tab_to(page, "duration")["value"] == "30"
    page.keyboard.press("ArrowRight")
    assert active(page)["value"] == "45"
    tab_to(page, "admin_domain")
    page.keyboard.press("ArrowDown")  # the first domain
    tab_to(page, "procedure_name")
    page.keyboard.type("prime d'activité")
    assert tab_to(page, "assistance")["value"] == "with"
    page.keyboard.press("ArrowDown")
    assert active(page)["value"] == "for"
    assert page.locator(".aidants-connect").is_visible()
    tab_to(page, "aidants_connect")
    page.keyboard.press("Space")
    tab_to(page, "autonomy")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    assert active(page)["value"] == "partly"
    assert tab_to(page, "outcome")["value"] == "resolved"
    if follow_up:
        page.keyboard.press("ArrowDown")
        assert active(page)["value"] == "follow_up"
    tab_to(page, "needs")
    page.keyboard.press("Space")
    tab_to(page, "note")
    page.keyboard.type("Revenir avec l'avis d'imposition")
    page.keyboard.press("Tab")
    assert active(page)["type"] == "submit"
    page.keyboard.press("Enter")

    if follow_up:
        page.wait_for_url(re.compile(r".*/desk/book\?.*"))
        assert TEXT[lang]["saved"] in page.content()
        assert TEXT[lang]["follow_up"] in page.content()
        assert_accessible(page)
        tab_to(page, "slot")
        page.keyboard.press("Space")
        tab_to(page, "reminder_consent")
        tab_to(page, "language")
        page.keyboard.press("Tab")
        assert active(page)["type"] == "submit"
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/desk/book/done/\d+"))
        assert TEXT[lang]["booked"] in page.content()
        assert_accessible(page)
        db.session.expire_all()
        again = db.session.execute(db.select(Booking).where(Booking.slot_id == later.id)).scalar_one()
        assert again.booked_by_id == facilitator.id and again.first_name == "Awa"
    else:
        page.wait_for_url(re.compile(r".*/desk/.*day=.*"))
        assert TEXT[lang]["saved"] in page.content()

    db.session.expire_all()
    logged = db.session.execute(db.select(HelpSession)).scalar_one()
    assert logged.duration_minutes == 45 and logged.assistance == "for" and logged.aidants_connect is True
    assert logged.autonomy == "partly" and logged.admin_domain == "papers"
    assert logged.procedure_name == "prime d'activité" and len(logged.needs) == 1
    assert logged.themes == ["admin_procedures"] and logged.gender == "not_given"
    assert logged.outcome == ("follow_up" if follow_up else "resolved")
    assert logged.note == "Revenir avec l'avis d'imposition"
    assert db.session.get(Booking, booking.id).status == "seen"


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_session_form_and_residents_pages_are_accessible(live_server, new_page, facilitator, make_booking,
                                                         lang, viewport):
    topic = make_topic()
    slot = make_slots(topic, days_ahead=0, hour=23, capacity=6, title="Atelier")[0]
    make_booking(slot, topic=topic, first_name="Awa")
    resident = Resident(first_name="Hélène", last_name="Lefèvre", name_key=search_key("Hélène", "Lefèvre"),
                        phone="+33612345678", remember_consent_at=utcnow(), remember_consent_by_id=facilitator.id)
    db.session.add(resident)
    db.session.add(HelpSession(day=slot.starts_at.date(), duration_minutes=30, facilitator_id=facilitator.id,
                               autonomy="guided", outcome="resolved", topics=[topic],
                               attendees=[Attendee(resident=resident)]))
    db.session.commit()

    page = new_page(viewport, "fr-FR" if lang == "fr" else "en-GB")
    log_in(page, live_server, facilitator, lang)
    for url in (f"/desk/sessions/new?slot={slot.id}", "/desk/sessions/new"):
        page.goto(live_server + url)
        assert_accessible(page)
    if viewport == "phone":
        assert_fits_when_zoomed(page)
    page.goto(f"{live_server}/desk/residents/")
    page.get_by_label(TEXT[lang]["search"]).fill("helene LEFEVRE")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*q=.*"))
    assert_accessible(page)
    page.get_by_role("link", name="Hélène Lefèvre").click()
    # The click only starts the navigation: wait for the resident's page itself before reading it.
    page.wait_for_url(re.compile(r".*/desk/residents/\d+$"))
    expect(page.get_by_role("heading", name=TEXT[lang]["history"])).to_be_visible()
    assert_accessible(page)
    if viewport == "phone":
        assert_fits_when_zoomed(page)
