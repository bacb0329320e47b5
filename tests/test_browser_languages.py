"""Issue 14 in a real browser: a newcomer books, moves and cancels in Arabic (the page mirrored) and
in Turkish on a 360 px phone, with the code, times and phone numbers readable left to right; the
language switch keeps what was typed; "listen" reads the confirmation in the page's language; no
axe-core violation on any page of the way."""
import re
from pathlib import Path

import pytest
from babel.support import Translations
from playwright.sync_api import expect

from tiers_lieu.booking.codes import format_code
from tiers_lieu.booking.models import Booking
from tiers_lieu.extensions import db

from .browser_helpers import assert_accessible, assert_fits_when_zoomed
from .factories import make_slots, make_topic

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
MANAGE_URL = re.compile(r"/booking/([A-Za-z0-9_-]+)(\?new=1)?(#\w*)?$")
NAMES = {"ar": "العربية", "tr": "Türkçe"}
ISOLATES = re.compile("[\u2066-\u2069]")


def say(language, text):
    """What the page says for this source text, from the compiled catalogue the app reads too;
    the catalogue tests fail on a missing translation, so a gap shows there first."""
    translated = Translations.load(str(ROOT / "translations"), [language]).gettext(text)
    assert translated != text, f"{text!r} is not translated into {language}"
    return ISOLATES.sub("", translated)


def check_page(page, language):
    html = page.locator("html")
    assert html.get_attribute("lang") == language, page.url
    assert html.get_attribute("dir") == ("rtl" if language == "ar" else "ltr"), page.url
    assert_accessible(page)
    assert_fits_when_zoomed(page)


def reads_left_to_right(locator):
    return locator.evaluate("element => getComputedStyle(element).direction") == "ltr"


def the_booking():
    db.session.expire_all()
    return db.session.execute(db.select(Booking)).scalar_one()


@pytest.mark.parametrize("language", ["ar", "tr"])
def test_a_newcomer_books_moves_and_cancels_in_their_language(live_server, new_page, language):
    topic = make_topic()
    slot, later = make_slots(topic, count=2, hour=10)
    page = new_page("phone", "fr-FR")
    page.goto(live_server + "/")
    page.get_by_role("link", name=NAMES[language]).click()
    page.wait_for_url(f"{live_server}/?lang={language}")
    check_page(page, language)
    # Mirrored in Arabic: the language switch's links run from the right.
    first, last = (page.locator(".lang-switch a").nth(index).bounding_box() for index in (0, -1))
    assert (first["x"] > last["x"]) == (language == "ar")

    page.locator(f'main a[href="/book/{topic.slug}"]').click()
    page.wait_for_url(f"{live_server}/book/{topic.slug}")
    check_page(page, language)
    page.locator(f'main a[href^="/book/slot/{slot.id}?"]').click()
    page.wait_for_url(re.compile(rf"/book/slot/{slot.id}\?"))
    check_page(page, language)
    # The example of a phone number reads in its own order inside the right-to-left hint.
    expect(page.locator("#phone-hint")).to_contain_text("06 12 34 56 78")

    page.get_by_label(say(language, "First name"), exact=True).fill("ليلى" if language == "ar" else "Ayşe")
    page.get_by_label(say(language, "Mobile phone number"), exact=True).fill("06 12 34 56 78")
    page.get_by_role("button", name=say(language, "Book this appointment")).click()
    page.wait_for_url(MANAGE_URL)
    token = MANAGE_URL.search(page.url).group(1)
    booking = the_booking()
    assert booking.language == language and booking.phone == "+33612345678"
    code = page.locator(".booking-code bdi")
    expect(code).to_have_text(format_code(booking.code))
    assert reads_left_to_right(code)
    times = page.locator(".summary bdi[dir=ltr]")
    expect(times.first).to_have_text("10:00")
    assert reads_left_to_right(times.first)
    expect(page.get_by_role("status").filter(has_text=say(language, "Your appointment is booked. Keep your code: show it at the reception desk."))).to_be_visible()
    check_page(page, language)

    page.locator(f'a[href="/booking/{token}/move"]').click()
    page.wait_for_url(f"{live_server}/booking/{token}/move")
    check_page(page, language)
    page.locator(f'form:has(input[name="slot_id"][value="{later.id}"])').get_by_role("button").click()
    page.wait_for_url(f"{live_server}/booking/{token}")
    assert the_booking().slot_id == later.id
    expect(page.locator(".summary bdi[dir=ltr]").first).to_have_text("10:30")
    check_page(page, language)

    page.locator(f'a[href="/booking/{token}/cancel"]').click()
    page.wait_for_url(f"{live_server}/booking/{token}/cancel")
    check_page(page, language)
    page.get_by_role("button", name=say(language, "Yes, cancel it")).click()
    page.wait_for_url(f"{live_server}/booking/{token}")
    assert the_booking().status == "cancelled_by_resident"
    check_page(page, language)


def test_switching_language_on_the_form_keeps_what_was_typed(live_server, new_page):
    slot = make_slots(make_topic())[0]
    page = new_page("phone", "fr-FR")
    page.goto(f"{live_server}/book/slot/{slot.id}?topic=demarches")
    page.get_by_label("Prénom").fill("Leïla")
    page.get_by_label("Numéro de téléphone portable").fill("06 11 22 33 44")
    page.get_by_role("button", name="العربية").click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("#first_name").input_value() == "Leïla"
    assert page.locator("#phone").input_value() == "06 11 22 33 44"
    assert page.locator('input[name="language"][value="ar"]').is_checked()
    check_page(page, "ar")
    assert db.session.execute(db.select(Booking)).first() is None


# --- read aloud --------------------------------------------------------------------------------

# The speech engine replaced by a spy: it has the voices it is given, records every utterance
# with its language, and finishes each at once, as a fast voice would.
SPY = """
(voices) => {
  window.spoken = [];
  window.speechCalls = [];
  const spy = {
    speaking: false, paused: false,
    getVoices: () => voices.map(lang => ({lang, name: "Spy " + lang, voiceURI: "spy-" + lang, localService: true})),
    speak(utterance) {
      window.spoken.push({text: utterance.text, lang: utterance.lang});
      setTimeout(() => utterance.onend && utterance.onend(), 0);
    },
    pause() { window.speechCalls.push("pause"); },
    resume() { window.speechCalls.push("resume"); },
    cancel() { window.speechCalls.push("cancel"); },
    addEventListener() {},
  };
  Object.defineProperty(window, "speechSynthesis", {value: spy, configurable: true});
  window.SpeechSynthesisUtterance = function (text) { this.text = text; this.lang = ""; };
}
"""


def with_spy(page, voices):
    page.add_init_script(f"({SPY})({voices!r})")


def booked(live_server, new_page, language, voices):
    topic = make_topic()
    slot = make_slots(topic, hour=14)[0]
    page = new_page("phone", "fr-FR")
    with_spy(page, voices)
    page.goto(f"{live_server}/book/slot/{slot.id}?topic=demarches&lang={language}")
    page.locator("#first_name").fill("Awa")
    page.locator("#phone").fill("06 12 34 56 78")
    page.locator("#booking-form button[type=submit]").click()
    page.wait_for_url(MANAGE_URL)
    return page, the_booking()


@pytest.mark.parametrize("language", ["ar", "tr"])
def test_listen_reads_the_confirmation_in_the_page_s_language(live_server, new_page, language):
    page, booking = booked(live_server, new_page, language, [language, "fr"])
    listen = page.get_by_role("button", name=say(language, "Listen"))
    expect(listen).to_be_visible()
    check_page(page, language)
    listen.focus()  # keyboard: a real button, reached and pressed without a mouse
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.spoken.length > 0")
    page.wait_for_function("() => document.querySelector('[data-listen-stop]').hidden")  # read to the end
    spoken = page.evaluate("window.spoken")
    said = " ".join(part["text"] for part in spoken if part["lang"] == language)
    code = booking.code
    assert ", ".join(code) in said  # the code spelled out, letter by letter
    assert "14:00" in said
    assert say(language, "Your booking code") in said
    assert say(language, "Listen") not in said  # the controls are not read
    # The place and the topic are the centre's French words: read with the French voice.
    french = " ".join(part["text"] for part in spoken if part["lang"] == "fr")
    assert "Salle informatique" in french and "Démarches administratives" in french


def test_listen_pauses_resumes_and_stops(live_server, new_page):
    page, _booking = booked(live_server, new_page, "ar", ["ar"])
    # A voice that never finishes, to pause it while it speaks.
    page.evaluate("() => { window.speechSynthesis.speak = (utterance) => "
                  "window.spoken.push({text: utterance.text, lang: utterance.lang}); }")
    page.get_by_role("button", name=say("ar", "Listen")).click()
    pause = page.get_by_role("button", name=say("ar", "Pause"), exact=True)
    pause.click()
    resume = page.get_by_role("button", name=say("ar", "Resume"), exact=True)
    expect(resume).to_be_visible()
    resume.click()
    page.get_by_role("button", name=say("ar", "Stop"), exact=True).click()
    assert page.evaluate("window.speechCalls").count("cancel") >= 2  # before reading, and to stop
    assert page.evaluate("window.speechCalls")[-3:] == ["pause", "resume", "cancel"]
    expect(pause).to_be_hidden()
    assert page.evaluate("document.activeElement.hasAttribute('data-listen-play')")


def test_listen_is_not_offered_without_a_voice_for_the_language(live_server, new_page):
    page, _booking = booked(live_server, new_page, "ar", ["en", "fr"])
    expect(page.locator("[data-listen]")).to_be_hidden()


def test_listen_is_not_offered_without_javascript(live_server, browser):
    slot = make_slots(make_topic())[0]
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.goto(f"{live_server}/book/slot/{slot.id}?lang=ar")
        expect(page.locator("[data-listen]")).to_be_hidden()
    finally:
        context.close()


def test_the_kiosk_reads_aloud_too(live_server, new_page):
    make_topic()
    page = new_page("desktop", "fr-FR")
    with_spy(page, ["tr"])
    page.goto(f"{live_server}/kiosk?lang=tr")
    page.get_by_role("button", name=say("tr", "Listen")).click()
    page.wait_for_function("() => window.spoken.length > 0")
    said = " ".join(part["text"] for part in page.evaluate("window.spoken"))
    assert say("tr", "No appointment? Take a number") in said
    check_page(page, "tr")


# --- the waiting list ----------------------------------------------------------------------------

def next_weekday(weekday, at_least=2):
    from datetime import datetime

    from .factories import PARIS
    days = (weekday - datetime.now(PARIS).weekday()) % 7
    return days + 7 if days < at_least else days


@pytest.mark.parametrize("language", ["ar", "tr"])
def test_a_monday_morning_request_is_offered_a_monday_seat_and_books_it_from_the_link(
        live_server, new_page, language):
    from tiers_lieu.booking import reservations
    from tiers_lieu.booking.availability import booking_rules
    from tiers_lieu.booking.models import CallbackRequest
    from tiers_lieu.notify.models import OutboxMessage

    topic = make_topic()
    monday = make_slots(topic, days_ahead=next_weekday(0), hour=9)[0]
    thursday = make_slots(topic, days_ahead=next_weekday(3), hour=9)[0]
    taken = {}
    for slot, phone in ((monday, "+33611111111"), (thursday, "+33622222222")):
        taken[slot.id], _token = reservations.book(
            db.session, slot=reservations.load_slot(db.session, slot.id), topic_id=topic.id,
            contact=reservations.Contact(first_name="Awa", phone=phone), rules=booking_rules(db.session))

    page = new_page("phone", "fr-FR")
    page.goto(f"{live_server}/book/{topic.slug}/callback?lang={language}")
    check_page(page, language)
    page.locator("#first_name").fill("Yao")
    page.locator("#phone").fill("06 98 76 54 32")
    page.locator('input[name="moments"][value="mon-am"]').check()
    page.locator('input[name="notify_by"][value="sms"]').check()
    page.locator("#callback-form button[type=submit]").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("status")).to_be_visible()
    check_page(page, language)
    request = db.session.execute(db.select(CallbackRequest)).scalar_one()
    assert (request.language, request.notify_by, request.moments) == (language, "sms", "mon-am")

    def offers():
        db.session.expire_all()
        return db.session.execute(db.select(OutboxMessage).where(OutboxMessage.kind == "seat_offer")).scalars().all()

    reservations.cancel(db.session, db.session.merge(taken[thursday.id]), rules=booking_rules(db.session))
    assert offers() == []  # a Thursday seat does not suit
    reservations.cancel(db.session, db.session.merge(taken[monday.id]), rules=booking_rules(db.session))
    [message] = offers()
    assert message.language == language and message.recipient == "+33698765432"
    link = re.search(r"http://localhost(/offer/\S+)", message.body).group(1).rstrip("\u2069")

    page.goto(live_server + link)
    check_page(page, language)
    page.get_by_role("button", name=say(language, "Book this seat")).click()
    page.wait_for_url(MANAGE_URL)
    booking = db.session.execute(db.select(Booking).where(Booking.phone == "+33698765432")).scalar_one()
    assert booking.slot_id == monday.id and booking.language == language
    expect(page.locator(".booking-code bdi")).to_have_text(format_code(booking.code))
    check_page(page, language)


def test_the_kiosk_keeps_what_was_typed_when_the_language_changes(live_server, new_page):
    make_topic()
    page = new_page("desktop", "fr-FR")
    page.goto(f"{live_server}/kiosk")
    page.locator("main input[name=first_name]").fill("Ayşe")
    page.locator("main input[name=code]").fill("K7M-4QP")
    page.get_by_role("link", name="Türkçe").click()
    page.wait_for_url(re.compile(r"/kiosk\?lang=tr$"))
    assert page.locator("main input[name=first_name]").input_value() == "Ayşe"
    assert page.locator("main input[name=code]").input_value() == "K7M-4QP"
    check_page(page, "tr")
