"""Issue 5, "Done when", in a real browser on the demo data that `make run` loads.

A newcomer logs in as the demo's coordinator, opens the dashboard from the staff menu, chooses last
month and one place with the page's own controls, reads the headline figures, opens the printable
report and prints it to PDF, downloads the XLSX and opens it: the figures match everywhere, and
match a plain recount in Python from the database. In French and in English, with no axe-core
violation on the dashboard nor on the report. The demo's activity covers the six months before
today, so "last month" always falls inside it whatever today's date.
"""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import current_app
from openpyxl import load_workbook

from tiers_lieu.booking.models import Booking, Location, Slot
from tiers_lieu.demo import DEMO_PASSWORD, load_demo
from tiers_lieu.desk.models import Attendee, HelpSession
from tiers_lieu.extensions import db

from .browser_helpers import assert_accessible

pytestmark = pytest.mark.browser

PLACE = "Salle informatique"  # the demo's first room, where its activity happens
# Written out here, not read from the catalogues, so that a missing translation fails.
TEXT = {
    "fr": {
        "login_path": "/login", "email": "Adresse e-mail", "password": "Mot de passe", "log_in": "Se connecter",
        "menu": "Statistiques", "title": "Statistiques", "period": "Période", "last_month": "Le mois dernier",
        "place": "Lieu", "show": "Afficher les chiffres", "headline": "Chiffres clés",
        "report": "Rapport à imprimer", "report_title": "Rapport d'activité de l'espace d'inclusion numérique",
        "xlsx": "Chiffres (XLSX)", "place_word": f"lieu : {PLACE}",
        "sessions": "Accompagnements", "participants": "Participant·es (une fois par personne et par accompagnement)",
        "people": "Personnes accompagnées", "hours": "Heures d'accompagnement", "bookings": "Rendez-vous",
        "sheet_people": "Accompagnements et personnes", "table_people": "Personnes accompagnées",
        "sheet_bookings": "Rendez-vous et créneaux", "table_bookings": "Rendez-vous par statut",
        "sheet_desk": "Sans RDV, attente, durée", "table_time": "Temps d'accompagnement",
        "total": "Total",
    },
    "en": {
        "login_path": "/login?lang=en", "email": "E-mail address", "password": "Password", "log_in": "Log in",
        "menu": "Statistics", "title": "Statistics", "period": "Period", "last_month": "Last month",
        "place": "Place", "show": "Show the figures", "headline": "Headline figures",
        "report": "Printable report", "report_title": "Activity report of the digital-inclusion space",
        "xlsx": "Figures (XLSX)", "place_word": f"place: {PLACE}",
        "sessions": "Help sessions", "participants": "Participants (one per person per session)",
        "people": "People helped", "hours": "Hours spent helping", "bookings": "Bookings",
        "sheet_people": "Sessions and people", "table_people": "People helped",
        "sheet_bookings": "Bookings and slots", "table_bookings": "Bookings by status",
        "sheet_desk": "Walk-ins, waiting, time", "table_time": "Time spent helping",
        "total": "Total",
    },
}
FIGURES = ("sessions", "participants", "people", "hours", "bookings")


def last_month(today):
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def recount(place_id, start, end, tz):
    """The headline figures of a period at one place, counted plainly in Python from the rows."""
    sessions = db.session.execute(db.select(HelpSession).where(
        HelpSession.day >= start, HelpSession.day <= end, HelpSession.location_id == place_id)).scalars().all()
    ids = [s.id for s in sessions]
    attendees = db.session.execute(db.select(Attendee).where(Attendee.session_id.in_(ids))).scalars().all() \
        if ids else []
    participants = sum(s.participant_count for s in sessions)
    named_residents = [a.resident_id for a in attendees if a.resident_id is not None]
    first = datetime.combine(start, time(0), tz)
    after = datetime.combine(end + timedelta(days=1), time(0), tz)
    bookings = db.session.execute(db.select(db.func.count()).select_from(Booking).join(Slot, Slot.id == Booking.slot_id)
                                  .where(Slot.location_id == place_id, Slot.starts_at >= first,
                                         Slot.starts_at < after)).scalar_one()
    return {
        "sessions": len(sessions),
        "participants": participants,
        # distinct named residents, plus every participant not linked to a resident
        "people": len(set(named_residents)) + participants - len(named_residents),
        "hours": round(sum(s.duration_minutes for s in sessions) / 60, 1),
        "bookings": bookings,
    }


def number(text, lang):
    """A figure as the page shows it ("1 234,5 h", "1,234.5 h") as a number."""
    text = text.strip()
    for unit in (" h", " %", " min"):
        text = text.removesuffix(unit)
    text = text.replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    text = text.replace(",", ".") if lang == "fr" else text.replace(",", "")
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def headline_on(page, text, lang):
    """{figure: value} read from the page's headline list, by its visible labels."""
    shown = {}
    for item in page.locator(".stats-headline li").all():
        shown[item.locator(".stats-figure-label").inner_text().strip()] = item.locator(".stats-figure").inner_text()
    return {key: number(shown[text[key]], lang) for key in FIGURES}


def tables_of(sheet):
    """{table title: [rows]} of a sheet written as: title, column names, rows, blank line."""
    rows = list(sheet.iter_rows(values_only=True))[3:]  # centre, description, blank line
    tables, n = {}, 0
    while n < len(rows):
        if rows[n] and rows[n][0] is not None:
            title, body, n = rows[n][0], [], n + 2
            while n < len(rows) and rows[n] and any(cell is not None for cell in rows[n]):
                body.append(rows[n])
                n += 1
            tables[title] = body
        n += 1
    return tables


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_newcomer_finds_the_same_figures_everywhere(app, live_server, new_page, lang, tmp_path):
    load_demo()  # what `make run` loads into an empty database
    text = TEXT[lang]
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    place_id = db.session.execute(db.select(Location.id).where(Location.name == PLACE)).scalar_one()

    page = new_page("desktop", "fr-FR" if lang == "fr" else "en-GB")
    page.goto(live_server + text["login_path"])
    page.get_by_label(text["email"]).fill("coordinator@example.org")
    page.get_by_label(text["password"], exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=text["log_in"]).click()
    page.wait_for_url(f"{live_server}/desk/")
    # The demo coordinator's account speaks French; English chosen on the login page stays chosen.
    assert page.locator("html").get_attribute("lang") == lang

    page.get_by_role("link", name=text["menu"], exact=True).first.click()
    page.wait_for_url(f"{live_server}/stats/")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.get_by_role("heading", level=1).inner_text() == text["title"]
    assert_accessible(page)

    # Last month at the demo's computer room, with the page's own controls.
    page.get_by_label(text["period"], exact=True).select_option(label=text["last_month"])
    page.get_by_label(text["place"], exact=True).select_option(label=PLACE)
    page.get_by_role("button", name=text["show"]).click()
    page.wait_for_url(f"**/stats/?*place={place_id}*")
    assert "period=last_month" in page.url
    assert page.get_by_label(text["place"], exact=True).input_value() == str(place_id)
    assert text["place_word"] in page.locator("#period-shown").inner_text()
    start, end = last_month(datetime.now(tz).date())
    expected = recount(place_id, start, end, tz)
    assert expected["sessions"] > 0 and expected["bookings"] > 0, expected  # the demo's activity is there
    assert page.get_by_role("heading", name=text["headline"]).is_visible()
    dashboard = headline_on(page, text, lang)
    assert dashboard == expected
    assert_accessible(page)

    # The printable report of the same period and place, printed to PDF.
    page.get_by_role("link", name=text["report"]).click()
    page.wait_for_url("**/stats/report?*")
    assert "period=last_month" in page.url and f"place={place_id}" in page.url
    assert page.get_by_role("heading", level=1).inner_text() == text["report_title"]
    assert text["place_word"] in page.locator("main").inner_text()
    assert headline_on(page, text, lang) == expected
    assert_accessible(page)
    page.emulate_media(media="print")
    assert page.locator(".stats-headline").is_visible()
    assert headline_on(page, text, lang) == expected
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000
    page.emulate_media(media="screen")

    # The XLSX of the same period and place, downloaded with the dashboard's link and opened.
    page.go_back()
    page.wait_for_url("**/stats/?*")
    with page.expect_download() as download:
        page.get_by_role("link", name=text["xlsx"]).click()
    assert download.value.suggested_filename == f"statistiques-{start.isoformat()}-{end.isoformat()}.xlsx"
    path = tmp_path / "figures.xlsx"
    download.value.save_as(path)
    workbook = load_workbook(path, read_only=True)
    people_sheet = workbook[text["sheet_people"]]
    assert text["place_word"] in people_sheet.cell(row=2, column=1).value
    people = {row[0]: row[1] for row in tables_of(people_sheet)[text["table_people"]]}
    bookings = tables_of(workbook[text["sheet_bookings"]])[text["table_bookings"]]
    desk = workbook[text["sheet_desk"]]  # a name that fits Excel's 31 characters whole
    time_spent = {row[0]: row[1:] for row in tables_of(desk)[text["table_time"]]}
    spreadsheet = {
        "sessions": people[text["sessions"]],
        "participants": people[text["participants"]],
        "people": people[text["people"]],
        "hours": round(time_spent[text["total"]][1] / 60, 1),
        "bookings": sum(row[1] for row in bookings),
    }
    assert time_spent[text["total"]][0] == expected["sessions"]
    assert spreadsheet == dashboard == expected
