"""Issue 3 in a real browser: a newcomer books a slot on a phone, gets the confirmation with its
code, QR code and calendar file, cancels it from the link and sees the seat free again — in
French and in English, with no axe-core violation on any page of the way."""
import re
from pathlib import Path

import pytest
from babel.dates import format_datetime
from playwright.sync_api import expect

from tiers_lieu.booking.codes import format_code
from tiers_lieu.booking.models import Booking, CallbackRequest, Slot
from tiers_lieu.extensions import db

from .factories import PARIS, make_slots, make_topic
from .browser_helpers import assert_accessible, assert_fits_when_zoomed

pytestmark = pytest.mark.browser

LANGUAGES = ["fr", "en"]

# What a resident reads, in each language: written out here rather than taken from the
# catalogues, so that a missing translation fails the French tests.
TEXT = {
    "fr": {
        "topic": "Démarches administratives",
        "first_name": "Prénom",
        "mobile": "Numéro de téléphone portable",
        "phone": "Numéro de téléphone",
        "email": "Adresse e-mail",
        "note": "En quelques mots",
        "reminder": "M'envoyer un rappel la veille",
        "reminder_by_sms": "Nous vous enverrons un rappel par SMS la veille.",
        "stop_reminder": "Ne plus recevoir de rappel",
        "reminder_stopped": "C'est fait : vous ne recevrez pas de rappel pour ce rendez-vous.",
        "book": "Réserver ce rendez-vous",
        "bad_phone": "Ce numéro de téléphone ne semble pas correct",
        "either": "Donnez un numéro de portable, une adresse e-mail, ou les deux",
        "example": "Par exemple 06 12 34 56 78",
        "booked": "Votre rendez-vous est réservé",
        "bring": "Une pièce d'identité",
        "qr_alt": "QR code du lien vers cette page",
        "print": "Imprimer",
        "calendar": "Ajouter à mon agenda",
        "cancel": "Annuler le rendez-vous",
        "yes_cancel": "Oui, l'annuler",
        "cancelled": "Votre rendez-vous est annulé",
        "status_cancelled": "Annulé par l'habitant·e",
        "book_another": "Prendre un autre rendez-vous",
        "find_link": "Retrouver, déplacer ou annuler votre rendez-vous avec son code",
        "find": "Retrouver mon rendez-vous",
        "code": "Code du rendez-vous",
        "contact": "Numéro de téléphone ou adresse e-mail",
        "change": "Changer l'horaire",
        "moved": "Votre rendez-vous est déplacé",
        "call_me": "Demander à être rappelé·e",
        "monday_morning": "Lundi matin",
        "send_request": "Envoyer ma demande",
        "request_received": "Demande reçue",
        "taken": "vient d'être pris par quelqu'un d'autre",
        "not_available": "Cet horaire n'est pas disponible",
    },
    "en": {
        "topic": "Administrative procedures",
        "first_name": "First name",
        "mobile": "Mobile phone number",
        "phone": "Phone number",
        "email": "E-mail address",
        "note": "In a few words",
        "reminder": "Send me a reminder the day before",
        "reminder_by_sms": "We will send you a reminder by text message the day before.",
        "stop_reminder": "Stop the reminder",
        "reminder_stopped": "Done: you will get no reminder for this appointment.",
        "book": "Book this appointment",
        "bad_phone": "This phone number does not look right",
        "either": "Give a mobile phone number, an e-mail address, or both",
        "example": "For example 06 12 34 56 78",
        "booked": "Your appointment is booked",
        "bring": "An identity document",
        "qr_alt": "QR code of the link to this page",
        "print": "Print",
        "calendar": "Add to my calendar",
        "cancel": "Cancel the appointment",
        "yes_cancel": "Yes, cancel it",
        "cancelled": "Your appointment is cancelled",
        "status_cancelled": "Cancelled by the resident",
        "book_another": "Book another appointment",
        "find_link": "Find, move or cancel your appointment with its code",
        "find": "Find my appointment",
        "code": "Booking code",
        "contact": "Phone number or e-mail address",
        "change": "Change the time",
        "moved": "Your appointment is moved",
        "call_me": "Ask to be called back",
        "monday_morning": "Monday morning",
        "send_request": "Send my request",
        "request_received": "Request received",
        "taken": "was just taken by someone else",
        "not_available": "This time is not available",
    },
}

# The confirmation; a fragment the form's address had (#phone from the error summary) stays.
MANAGE_URL = re.compile(r"/booking/([A-Za-z0-9_-]+)(\?new=1)?(#\w*)?$")


@pytest.fixture
def topic(app):
    return make_topic()


# --- steps -------------------------------------------------------------------------------------

def check_page(page, lang):
    """Every page of the way: in the chosen language, no axe violation, fits at 200 % zoom."""
    assert page.locator("html").get_attribute("lang") == lang, page.url
    assert_accessible(page)
    assert_fits_when_zoomed(page)


def follow(page, locator, url):
    """Click a link or a button that leads to another address, and wait until that page is loaded."""
    locator.click()
    page.wait_for_url(url)


def with_lang(url, lang):
    return f"{url}{'&' if '?' in url else '?'}lang={lang}"


def open_booking_form(new_page, live_server, slot, lang):
    page = new_page("phone")
    page.goto(with_lang(f"{live_server}/book/slot/{slot.id}?topic=demarches", lang))
    return page


def fill_contact(page, text, phone="06 12 34 56 78", email="", note="Dossier CAF"):
    page.get_by_label(text["first_name"]).fill("Awa")
    page.get_by_label(text["mobile"]).fill(phone)
    page.get_by_label(text["email"]).fill(email)
    page.get_by_label(text["note"]).fill(note)


def submit_booking(page, text):
    page.get_by_role("button", name=text["book"]).click()
    page.wait_for_url(MANAGE_URL)
    return MANAGE_URL.search(page.url).group(1)


def book_through_the_form(new_page, live_server, slot, lang):
    """Book `slot` as a resident would; return the page, now on the confirmation, and the token."""
    page = open_booking_form(new_page, live_server, slot, lang)
    fill_contact(page, TEXT[lang])
    return page, submit_booking(page, TEXT[lang])


def the_booking():
    db.session.expire_all()
    return db.session.execute(db.select(Booking)).scalar_one()


def seats_taken(slot):
    db.session.expire_all()
    return db.session.get(Slot, slot.id).seats_taken


def slot_link(page, slot):
    """The link to book this slot in the page's content (not the language switch's link)."""
    return page.locator("main").locator(f'a[href^="/book/slot/{slot.id}?"]')


def local_day(instant, lang):
    """The day as the pages write it: Babel's words, first letter in upper case."""
    day = format_datetime(instant, "EEEE d MMMM y", tzinfo=PARIS, locale=lang)
    return day[:1].upper() + day[1:]


def focused_id(page):
    return page.evaluate("document.activeElement.id")


def assert_focus_is_visible(page):
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), f"no visible focus on #{focused_id(page)}"


# --- the whole way, as the issue says -------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_newcomer_books_a_slot_and_cancels_it_from_the_link(live_server, new_page, topic, lang):
    text = TEXT[lang]
    slot = make_slots(topic, hour=10)[0]
    page = new_page("phone", "fr-FR")
    page.goto(live_server + "/")
    if lang == "en":
        follow(page, page.get_by_role("link", name="English"), f"{live_server}/?lang=en")
    check_page(page, lang)

    follow(page, page.get_by_role("link", name=text["topic"]), f"{live_server}/book/demarches")
    expect(page.get_by_role("heading", level=1)).to_have_text(text["topic"])
    check_page(page, lang)

    follow(page, slot_link(page, slot), re.compile(rf"/book/slot/{slot.id}\?topic=demarches$"))
    check_page(page, lang)
    fill_contact(page, text)
    page.get_by_label(text["reminder"]).check()
    token = submit_booking(page, text)

    booking = the_booking()
    expect(page.get_by_role("status").filter(has_text=text["booked"])).to_be_visible()
    expect(page.locator(".booking-code")).to_have_text(format_code(booking.code))
    assert (booking.first_name, booking.phone, booking.language) == ("Awa", "+33612345678", lang)
    expect(page.locator(".summary")).to_contain_text(local_day(slot.starts_at, lang) + ", 10:00")
    qr_code = page.get_by_role("img", name=text["qr_alt"])
    assert qr_code.evaluate("image => image.complete && image.naturalWidth > 0")
    expect(page.get_by_role("listitem").filter(has_text=text["bring"])).to_be_visible()
    assert seats_taken(slot) == 1
    check_page(page, lang)

    with page.expect_download() as download:
        page.get_by_role("link", name=text["calendar"]).click()
    assert download.value.suggested_filename.endswith(".ics")
    calendar = Path(download.value.path()).read_text(encoding="utf-8")
    assert "BEGIN:VCALENDAR" in calendar and "TZID=Europe/Paris" in calendar

    # The reminder asked for with the booking is stopped as easily, from the same page.
    expect(page.get_by_text(text["reminder_by_sms"])).to_be_visible()
    follow(page, page.get_by_role("button", name=text["stop_reminder"]), f"{live_server}/booking/{token}")
    expect(page.get_by_role("status").filter(has_text=text["reminder_stopped"])).to_be_visible()
    check_page(page, lang)
    assert the_booking().reminder_consent is False

    follow(page, page.get_by_role("link", name=text["cancel"]), f"{live_server}/booking/{token}/cancel")
    check_page(page, lang)
    follow(page, page.get_by_role("button", name=text["yes_cancel"]), f"{live_server}/booking/{token}")
    expect(page.get_by_role("status").filter(has_text=text["cancelled"])).to_be_visible()
    expect(page.get_by_text(text["status_cancelled"])).to_be_visible()
    check_page(page, lang)
    assert seats_taken(slot) == 0
    assert the_booking().status == "cancelled_by_resident"

    follow(page, page.get_by_role("link", name=text["book_another"]), f"{live_server}/book/demarches")
    expect(slot_link(page, slot)).to_be_visible()


# --- the booking form ---------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_wrong_phone_number_is_announced_linked_to_its_field_and_nothing_is_lost(
        live_server, new_page, topic, lang):
    text = TEXT[lang]
    slot = make_slots(topic)[0]
    page = open_booking_form(new_page, live_server, slot, lang)
    fill_contact(page, text, phone="06 12 34", email="awa@example.org")
    page.get_by_label(text["reminder"]).check()
    page.get_by_role("button", name=text["book"]).click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(text["bad_phone"])
    phone = page.get_by_label(text["mobile"])
    assert phone.get_attribute("aria-invalid") == "true"
    described_by = phone.get_attribute("aria-describedby").split()
    assert "phone-error" in described_by
    expect(page.locator("#phone-error")).to_contain_text(text["bad_phone"])
    for part in ("either", "example", "bad_phone"):  # what a screen reader says on the field
        expect(phone).to_have_accessible_description(re.compile(re.escape(text[part])))
    assert phone.input_value() == "06 12 34"
    assert page.get_by_label(text["first_name"]).input_value() == "Awa"
    assert page.get_by_label(text["email"]).input_value() == "awa@example.org"
    assert page.get_by_label(text["note"]).input_value() == "Dossier CAF"
    assert page.get_by_label(text["reminder"]).is_checked()
    check_page(page, lang)

    summary.get_by_role("link").click()  # the summary leads to the field
    expect(phone).to_be_focused()
    phone.fill("06 12 34 56 78")
    submit_booking(page, text)
    assert the_booking().phone == "+33612345678"
    assert seats_taken(slot) == 1


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_booking_form_works_with_the_keyboard_alone(live_server, new_page, topic, lang):
    other_language = {"fr": "en", "en": "ar"}[lang]  # the next language in the list
    slot = make_slots(topic)[0]
    page = open_booking_form(new_page, live_server, slot, lang)
    page.get_by_label(TEXT[lang]["first_name"]).focus()
    page.keyboard.type("Awa")
    page.keyboard.press("Tab")
    assert focused_id(page) == "phone"
    assert_focus_is_visible(page)
    page.keyboard.type("06 12 34 56 78")
    page.keyboard.press("Tab")
    assert focused_id(page) == "email"
    page.keyboard.press("Tab")
    assert focused_id(page) == "note"
    page.keyboard.type("Pronote")
    page.keyboard.press("Tab")
    assert focused_id(page) == "reminder_consent"
    assert_focus_is_visible(page)
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.value") == lang  # the checked language
    page.keyboard.press("ArrowDown")  # radio buttons: the arrows move the choice
    assert page.evaluate("document.activeElement.value") == other_language
    assert_focus_is_visible(page)
    page.keyboard.press("Tab")  # the privacy notice, read before sending
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/privacy"
    assert_focus_is_visible(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    assert_focus_is_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url(MANAGE_URL)

    booking = the_booking()
    assert (booking.first_name, booking.phone, booking.note) == ("Awa", "+33612345678", "Pronote")
    assert booking.reminder_consent is True
    assert booking.language == other_language


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_slot_taken_while_typing_gets_a_friendly_page_with_the_next_free_slots(
        live_server, new_page, topic, lang):
    text = TEXT[lang]
    slot, later = make_slots(topic, count=2)
    page = open_booking_form(new_page, live_server, slot, lang)
    fill_contact(page, text)
    slot.seats_taken = slot.capacity  # someone else books it behind this resident's back
    db.session.commit()
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name=text["book"]).click()

    assert answer.value.status == 409
    expect(page.get_by_role("heading", level=1)).to_have_text(text["not_available"])
    expect(page.get_by_role("alert")).to_contain_text(text["taken"])
    expect(slot_link(page, later)).to_be_visible()
    expect(slot_link(page, slot)).to_have_count(0)
    check_page(page, lang)
    db.session.expire_all()
    assert db.session.execute(db.select(Booking)).first() is None


# --- the confirmation and what follows -------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_confirmation_prints_on_one_a4_page(live_server, new_page, topic, lang):
    slot = make_slots(topic)[0]
    page, _ = book_through_the_form(new_page, live_server, slot, lang)
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4")
    pages = re.findall(rb"/Type\s*/Page(?!s)", pdf)
    assert len(pages) == 1


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_print_button_appears_only_where_javascript_can_print(live_server, new_page, browser, topic, lang):
    slot = make_slots(topic)[0]
    page, token = book_through_the_form(new_page, live_server, slot, lang)
    expect(page.get_by_role("button", name=TEXT[lang]["print"])).to_be_visible()
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    try:
        without_javascript = context.new_page()
        without_javascript.goto(with_lang(f"{live_server}/booking/{token}", lang))
        expect(without_javascript.locator(".booking-code")).to_be_visible()
        expect(without_javascript.get_by_role("button", name=TEXT[lang]["print"])).to_be_hidden()
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_booking_is_found_again_with_its_code_and_phone_number(live_server, new_page, topic, lang):
    text = TEXT[lang]
    slot = make_slots(topic)[0]
    page, token = book_through_the_form(new_page, live_server, slot, lang)
    code = format_code(the_booking().code)

    page.goto(live_server + "/")
    follow(page, page.get_by_role("link", name=text["find_link"]), f"{live_server}/booking")
    expect(page.get_by_role("heading", level=1)).to_have_text(text["find"])
    check_page(page, lang)
    page.get_by_label(text["code"]).fill(code.lower())
    page.get_by_label(text["contact"]).fill("06 12 34 56 78")
    follow(page, page.get_by_role("button", name=text["find"]), f"{live_server}/booking/{token}")
    expect(page.locator(".booking-code")).to_have_text(code)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_booking_is_moved_to_another_slot(live_server, new_page, topic, lang):
    text = TEXT[lang]
    old, new = make_slots(topic, count=2)
    page, token = book_through_the_form(new_page, live_server, old, lang)

    follow(page, page.get_by_role("link", name=text["change"]), f"{live_server}/booking/{token}/move")
    expect(page.get_by_role("heading", level=1)).to_have_text(text["change"])
    check_page(page, lang)
    move_here = page.locator(f'form:has(input[name="slot_id"][value="{new.id}"])').get_by_role("button")
    follow(page, move_here, f"{live_server}/booking/{token}")
    expect(page.get_by_role("status").filter(has_text=text["moved"])).to_be_visible()
    expect(page.locator(".summary")).to_contain_text("09:30")
    check_page(page, lang)

    assert the_booking().slot_id == new.id
    assert (seats_taken(old), seats_taken(new)) == (0, 1)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_resident_asks_to_be_called_back(live_server, new_page, topic, lang):
    text = TEXT[lang]
    page = new_page("phone")
    page.goto(with_lang(f"{live_server}/book/demarches", lang))
    follow(page, page.get_by_role("link", name=text["call_me"]), f"{live_server}/book/demarches/callback")
    check_page(page, lang)
    page.get_by_label(text["first_name"]).fill("Yao")
    page.get_by_label(text["phone"], exact=True).fill("06 98 76 54 32")
    page.get_by_label(text["monday_morning"]).check()
    page.get_by_role("button", name=text["send_request"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(text["request_received"])
    check_page(page, lang)
    db.session.expire_all()
    request = db.session.execute(db.select(CallbackRequest)).scalar_one()
    assert (request.first_name, request.phone, request.moments, request.language) == \
        ("Yao", "+33698765432", "mon-am", lang)
