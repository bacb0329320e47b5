"""Every resident reached (issue 14): the residents' pages and messages in Arabic, right to left,
and in Turkish; the staff's pages in the staff's languages; codes, times and phone numbers left to
right inside Arabic text; nothing left in another language."""
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tiers_lieu.booking.models import Booking
from tiers_lieu.core.centre import Centre
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import OutboxMessage

from .conftest import csrf_token_from, make_app, submit
from .factories import booking_form, make_slots, make_topic
from .page_text import LTR_ISOLATE, POP_ISOLATE, read, unisolated, visible_text

ROOT = Path(__file__).resolve().parent.parent
RESIDENT_LANGUAGES = ("fr", "en", "ar", "tr")
# What a page in this language says of itself, to be sure it is the language it claims.
SAYS = {
    "ar": re.compile(r"[\u0600-\u06ff]{3}"),
    "tr": re.compile(r"[çğıöşüÇĞİÖŞÜ]"),  # letters of Turkish that neither French nor English has
}


@pytest.fixture
def centre(app):
    db.session.add(Centre(name="Maison Pour Tous du Plan", address="12 rue des Tilleuls, 26000 Valence",
                          phone="04 75 00 00 00", email="accueil@mpt-plan.example"))
    db.session.commit()


def book(client, slot, language, **fields):
    data = booking_form(language=language, **fields)
    response = submit(client, f"/book/slot/{slot.id}?lang={language}", data,
                      form_url=f"/book/slot/{slot.id}?lang={language}")
    assert response.status_code == 302, response.page
    return response.headers["Location"].split("/booking/")[1].split("?")[0]


# --- the language of each page ---------------------------------------------------------------

@pytest.mark.parametrize("language, direction", [("ar", "rtl"), ("tr", "ltr")])
def test_a_resident_page_speaks_arabic_right_to_left_and_turkish(client, language, direction):
    page = client.get(f"/?lang={language}").page
    assert f'<html lang="{language}" dir="{direction}">' in page
    assert SAYS[language].search(visible_text(page, only_language=language))


def test_the_browser_s_arabic_is_followed_and_remembered(client):
    page = client.get("/", headers={"Accept-Language": "ar-DZ,ar;q=0.9,fr;q=0.5"}).page
    assert '<html lang="ar" dir="rtl">' in page
    client.get("/?lang=tr")
    assert '<html lang="tr" dir="ltr">' in client.get("/book/x", headers={"Accept-Language": "ar"}).page


def test_the_switch_offers_every_resident_language_named_in_itself(client):
    page = client.get("/").page
    for code, name in (("en", "English"), ("ar", "العربية"), ("tr", "Türkçe")):
        assert f'lang="{code}" hreflang="{code}">{name}</a>' in page


def test_staff_pages_stay_in_the_staff_s_languages(client, login_as):
    login_as()
    client.get("/?lang=ar")  # the cookie now says Arabic
    page = client.get("/desk/?lang=ar").page
    assert '<html lang="fr" dir="ltr">' in page
    assert "العربية" not in page and 'hreflang="en"' in page and 'hreflang="tr"' not in page
    assert '<html lang="en" dir="ltr">' in client.get("/desk/?lang=en").page


def test_the_staff_see_each_booking_s_language(client, login_as, make_booking):
    topic = make_topic()
    slots = make_slots(topic, count=2, days_ahead=0, hour=23)  # tonight: today's day view
    make_booking(slots[0], first_name="ليلى", language="ar")
    make_booking(slots[1], first_name="Awa", language="fr", phone="+33612345679")
    login_as()
    page = client.get("/desk/").page
    arabic = page.split("ليلى")[1].split("</li>")[0]
    french = page.split(">Awa<")[1].split("</li>")[0]
    assert ">arabe</span>" in arabic
    assert "français" not in french
    # The name typed in Arabic is isolated from the French page around it.
    assert "<bdi>ليلى</bdi>" in page


@pytest.mark.parametrize("settings, complaint", [
    ({"RESIDENT_LANGUAGES": ("fr", "pt")}, "no catalogue for 'pt'"),
    ({"RESIDENT_LANGUAGES": ("fr", "xx")}, "not a language Babel knows"),
    ({"STAFF_LANGUAGES": ("en",)}, "must both include fr"),
])
def test_a_language_without_its_catalogue_refuses_to_start(database_urls, settings, complaint):
    with pytest.raises(RuntimeError, match=complaint):
        make_app(database_urls["sqlite"], **settings)


def test_every_resident_language_has_its_catalogue():
    for code in RESIDENT_LANGUAGES:
        assert (ROOT / "translations" / code / "LC_MESSAGES" / "messages.po").exists(), code


# --- right to left -----------------------------------------------------------------------------

def test_codes_times_and_phone_numbers_read_left_to_right_in_arabic(client, centre):
    topic = make_topic()
    slot, other = make_slots(topic, count=2, hour=14)
    token = book(client, slot, "ar", email="awa@example.org")
    pages = {
        "home": client.get("/?lang=ar").page,
        "topic": client.get("/book/demarches?lang=ar").page,
        "form": client.get(f"/book/slot/{other.id}?lang=ar").page,
        "booking": client.get(f"/booking/{token}?lang=ar").page,
        "move": client.get(f"/booking/{token}/move?lang=ar").page,
        "cancel": client.get(f"/booking/{token}/cancel?lang=ar").page,
        "lookup": client.get("/booking?lang=ar").page,
        "privacy": client.get("/privacy?lang=ar").page,
        "kiosk": client.get("/kiosk?lang=ar").page,
    }
    code = db.session.execute(db.select(Booking.code)).scalar_one()
    assert f'<bdi dir="ltr" data-speak="spell">{code[:3]}-{code[3:]}</bdi>' in pages["booking"]
    for name, page in pages.items():
        assert '<html lang="ar" dir="rtl">' in page, name
        assert unisolated(page) == [], name
    # The catalogue's own examples ("06 12 34 56 78", "K7M-4QP") are isolated in the strings.
    assert f"{LTR_ISOLATE}06 12 34 56 78{POP_ISOLATE}" in pages["form"]
    assert f"{LTR_ISOLATE}K7M-4QP{POP_ISOLATE}" in pages["lookup"]


def test_topics_nobody_translated_are_marked_french_on_an_arabic_page(client):
    make_topic()
    page = client.get("/?lang=ar").page
    assert '<bdi lang="fr">Démarches administratives</bdi>' in page
    # English is written for the topic: an English page shows it unmarked.
    assert '<a href="/book/demarches">Administrative procedures</a>' in client.get("/?lang=en").page


# --- messages ----------------------------------------------------------------------------------

@pytest.mark.parametrize("language, subject_word, greeting", [
    ("ar", "موعد", "مرحبا"),
    ("tr", "randevu", "Merhaba"),
])
def test_the_confirmation_email_arrives_in_arabic_or_turkish(app, client, runner, smtp_server, centre,
                                                             language, subject_word, greeting):
    slot = make_slots(make_topic(), hour=14)[0]
    token = book(client, slot, language, phone="", email="awa@example.org")
    result = runner.invoke(args=["notify", "send"])
    assert "Sent 1" in result.output, result.output
    [email] = smtp_server.messages()
    assert email["Content-Language"] == language
    assert subject_word in email["Subject"].lower() and "14:00" in email["Subject"]
    body = email.get_body(preferencelist=("plain",)).get_content()
    assert greeting in body
    code = db.session.execute(db.select(Booking.code)).scalar_one()
    shown = f"{code[:3]}-{code[3:]}"
    if language == "ar":  # isolated left to right with the Unicode controls: plain text has no tags
        assert f"{LTR_ISOLATE}{shown}{POP_ISOLATE}" in body
        assert f"{LTR_ISOLATE}04 75 00 00 00{POP_ISOLATE}" in body
    else:
        assert shown in body and LTR_ISOLATE not in body
    assert f"http://localhost/booking/{token}" in body


def test_an_arabic_sms_isolates_its_code_and_a_french_one_keeps_the_gsm_alphabet(client):
    topic = make_topic()
    first, second = make_slots(topic, count=2, hour=10)
    book(client, first, "ar")
    book(client, second, "fr", phone="06 12 34 56 79")
    arabic, french = db.session.execute(db.select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
    assert arabic.language == "ar" and SAYS["ar"].search(arabic.body)
    assert re.search(f"{LTR_ISOLATE}[A-Z0-9]{{3}}-[A-Z0-9]{{3}}{POP_ISOLATE}", arabic.body)
    assert french.language == "fr" and not re.search("[\u2066-\u2069]", french.body)


def test_the_calendar_file_speaks_the_page_s_language(client):
    slot = make_slots(make_topic(), hour=14)[0]
    token = book(client, slot, "tr")
    calendar = client.get(f"/booking/{token}.ics?lang=tr").get_data(as_text=True)
    assert "SUMMARY:Randevu" in calendar


# --- switching language on a form --------------------------------------------------------------

def test_switching_language_keeps_what_was_typed_and_saves_nothing(client):
    slot = make_slots(make_topic())[0]
    url = f"/book/slot/{slot.id}"
    form_page = client.get(url).page
    assert 'form="booking-form"' in form_page and 'name="switch_language" value="fr"' in form_page
    typed = {**booking_form(first_name="Leïla", phone="06 11 22 33 44", note="Pour la CAF", language="fr"),
             "csrf_token": csrf_token_from(form_page), "switch_language": "fr"}
    page = client.post(f"{url}?lang=ar", data=typed).page
    assert '<html lang="ar" dir="rtl">' in page
    assert 'value="Leïla"' in page and 'value="06 11 22 33 44"' in page and "Pour la CAF" in page
    assert 'class="error-summary' not in page
    # The messages' language follows the page, since the resident had left it as it was.
    assert re.search(r'value="ar"[^>]*checked|checked[^>]*value="ar"', page)
    assert db.session.execute(db.select(Booking)).first() is None


def test_a_chosen_message_language_survives_a_switch(client):
    slot = make_slots(make_topic())[0]
    url = f"/book/slot/{slot.id}"
    typed = {**booking_form(language="tr"), "csrf_token": csrf_token_from(client.get(url).page),
             "switch_language": "fr"}
    page = client.post(f"{url}?lang=ar", data=typed).page
    assert re.search(r'value="tr"[^>]*checked|checked[^>]*value="tr"', page)


def test_switching_language_on_the_look_up_form_is_not_a_failed_attempt(client, app):
    app.config["LOOKUP_FAILURES_PER_ADDRESS"] = "2 per hour"
    page = client.get("/booking").page
    for _ in range(4):
        response = client.post("/booking?lang=tr", data={"csrf_token": csrf_token_from(page), "code": "ABC-123",
                                                           "contact": "06 12 34 56 78", "switch_language": "fr"})
        assert response.status_code == 200 and 'value="ABC-123"' in response.page


# --- nothing left in another language ----------------------------------------------------------

def catalogue(code):
    with (ROOT / "translations" / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=code)


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|<[^>]+>")


def phrases(texts):
    """Runs of three words or more from these texts, between their placeholders and tags."""
    found = set()
    for text in texts:
        for part in PLACEHOLDER.split(text):
            part = part.strip(" .,:;!?«»\"'()…—–-\n")
            if len(re.findall(r"[^\W\d_]{2,}", part)) >= 3:
                found.add(part)
    return found


def strings(messages, side):
    for message in messages:
        if not message.id:
            continue
        value = message.id if side == "id" else message.string
        yield from (value if isinstance(value, (tuple, list)) else (value,))


@pytest.fixture(scope="module")
def foreign_phrases():
    """For each resident language, the French and English phrases it must not show."""
    french, english = phrases(strings(catalogue("fr"), "string")), phrases(strings(catalogue("fr"), "id"))
    return {code: (french | english) - set(strings(catalogue(code), "string"))
            for code in ("ar", "tr")}


def resident_pages(client, make_booking, language):
    """Every page a resident meets, in this language, with its errors and outcomes."""
    topic = make_topic()
    slots = make_slots(topic, count=3, hour=15)
    today = make_slots(topic, count=1, days_ahead=0, hour=23)[0]
    token = book(client, slots[0], language, email="awa@example.org")
    code = make_booking(today, language=language, phone="+33612345670").code
    past = book(client, slots[2], language, phone="06 12 34 56 71")
    booking = db.session.execute(db.select(Booking).where(Booking.slot_id == slots[2].id)).scalar_one()
    booking.status = "cancelled_by_resident"
    db.session.commit()
    full = make_slots(topic, count=1, hour=18)[0]
    q = f"?lang={language}"
    full_form = client.get(f"/book/slot/{full.id}{q}").page
    full.seats_taken = full.capacity  # taken while the resident was typing
    db.session.commit()
    form_url = f"/book/slot/{slots[1].id}{q}"
    kiosk = client.get(f"/kiosk{q}").page
    pages = {
        "home": client.get(f"/{q}").page,
        "topic": client.get(f"/book/demarches{q}").page,
        "form": client.get(form_url).page,
        "form with errors": submit(client, form_url, {"first_name": "", "phone": "12", "topic": "demarches"},
                                   form_url=form_url).page,
        "full slot": client.post(f"/book/slot/{full.id}{q}", data={
            **booking_form(language=language), "csrf_token": csrf_token_from(full_form)}).page,
        "booking": client.get(f"/booking/{token}{q}&new=1").page,
        "move": client.get(f"/booking/{token}/move{q}").page,
        "cancel": client.get(f"/booking/{token}/cancel{q}").page,
        "erase": client.get(f"/booking/{past}/erase{q}").page,
        "look-up": client.get(f"/booking{q}").page,
        "look-up refused": submit(client, f"/booking{q}", {"code": "ZZZ-999", "contact": "06 00 00 00 00"},
                                  form_url=f"/booking{q}").page,
        "call-back": client.get(f"/book/demarches/callback{q}").page,
        "call-back sent": submit(client, f"/book/demarches/callback{q}",
                                 {"first_name": "Awa", "phone": "06 12 34 56 78", "language": language},
                                 form_url=f"/book/demarches/callback{q}").page,
        "privacy": client.get(f"/privacy{q}").page,
        "kiosk": kiosk,
        "kiosk ticket": client.post(f"/kiosk/ticket{q}", data={"csrf_token": csrf_token_from(kiosk),
                                                               "topic": "demarches"}).page,
        "kiosk arrival": client.post(f"/kiosk/appointment{q}", data={"csrf_token": csrf_token_from(kiosk),
                                                                     "code": code}).page,
        "waiting room": client.get(f"/display{q}").page,
        "not found": client.get(f"/booking/nothing-here{q}").page,
    }
    return pages


@pytest.mark.parametrize("language", ["ar", "tr"])
def test_every_resident_page_speaks_only_its_language(client, centre, make_booking, foreign_phrases, language):
    seen = []
    for name, page in resident_pages(client, make_booking, language).items():
        page_language, _pieces = read(page)
        assert page_language == language, name
        text = visible_text(page, only_language=language)
        text = text.replace("Awa", "").replace("Maison Pour Tous du Plan", "")
        assert SAYS[language].search(text), name
        left = sorted(phrase for phrase in foreign_phrases[language] if phrase in text)
        if language == "ar":
            # Arabic is written in its own script: a Latin word of the interface is a leftover
            # (codes, times, addresses and phone numbers are isolated left to right: not words).
            words = " ".join(piece.text for piece in _pieces if piece.language == language and not piece.left_to_right)
            latin = set(re.findall(r"\b[A-Za-zÀ-ÿ]{4,}\b", words.replace("Awa", ""))) - ARABIC_KEEPS_LATIN
            left += sorted(latin)
        seen.append((name, left))
    assert [(name, left) for name, left in seen if left] == []


# Latin words an Arabic page keeps: names of services and formats residents meet as they are.
ARABIC_KEEPS_LATIN = {"CNIL", "Pronote", "France", "Travail", "Ameli", "ANTS", "Vitale", "GDPR", "RGPD"}
