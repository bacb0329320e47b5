"""Issue 5 in a real browser: a coordinator opens the statistics, changes the period and a filter,
opens the printable report and downloads the XLSX — in French and in English, on a phone and on a
desktop, with no axe-core violation on the dashboard nor on the report."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from tiers_lieu.accounts.models import Role
from tiers_lieu.desk.lists import ensure_default_lists
from tiers_lieu.extensions import db
from tiers_lieu.stats.history import generate

from .browser_helpers import assert_accessible, assert_fits_when_zoomed
from .conftest import STAFF_PASSWORD

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")
TEXT = {
    "fr": {"title": "Statistiques", "show": "Afficher les chiffres", "period": "Période", "custom": "Dates au choix",
           "from": "Du (dates au choix)", "to": "Au (dates au choix)", "topic": "Thématique",
           "report": "Rapport à imprimer", "report_title": "Rapport d'activité de l'espace d'inclusion numérique",
           "xlsx": "Chiffres (XLSX)", "headline": "Chiffres clés", "sessions": "Accompagnements",
           "reversed": "La période choisie se termine avant de commencer", "sheet": "Accompagnements et personnes",
           "how": "Comment les chiffres sont comptés", "figures_of": "Chiffres de « Par thématique »",
           "empty": "Rien d'enregistré sur cette période", "themes": "Par thématique nationale", "genders": "Genre",
           "communes": "Commune", "coop_xlsx": "Accompagnements au format de La Coop (XLSX)"},
    "en": {"title": "Statistics", "show": "Show the figures", "period": "Period", "custom": "Custom dates",
           "from": "From (custom dates)", "to": "To (custom dates)", "topic": "Topic",
           "report": "Printable report", "report_title": "Activity report of the digital-inclusion space",
           "xlsx": "Figures (XLSX)", "headline": "Headline figures", "sessions": "Help sessions",
           "reversed": "The custom period ends before it starts", "sheet": "Sessions and people",
           "how": "How figures are counted", "figures_of": "Figures of “By topic”",
           "empty": "Nothing recorded in this period", "themes": "By national theme", "genders": "Gender",
           "communes": "Commune", "coop_xlsx": "Sessions in La Coop's format (XLSX)"},
}


@pytest.fixture
def activity(app, make_user, make_topic, make_location):
    facilitator = make_user(Role.FACILITATOR)
    topics = {slug: make_topic(slug=slug, name_fr=name, name_en=name)
              for slug, name in (("demarches", "Démarches"), ("achats", "Achats"), ("scolarite", "Scolarité"),
                                 ("smartphone", "Smartphone"))}
    room = make_location("Salle informatique")
    ensure_default_lists(db.session)
    now = datetime.now(timezone.utc)
    today = now.astimezone(PARIS).date()
    with db.engine.begin() as connection:
        generate(connection, places=[(room.id, [facilitator.id], 1)], first_day=today - timedelta(days=45),
                 last_day=today - timedelta(days=1), tz=PARIS, now=now, residents=40, seed=5)
    return {"today": today, "topics": topics}


def log_in(page, base, email):
    page.goto(f"{base}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(STAFF_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{base}/desk/")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_coordinator_reads_changes_prints_and_downloads_the_figures(live_server, new_page, make_user, activity,
                                                                       viewport, lang, tmp_path):
    text = TEXT[lang]
    coordinator = make_user(Role.COORDINATOR, language=lang)
    page = new_page(viewport, "fr-FR" if lang == "fr" else "en-GB")
    log_in(page, live_server, coordinator.email)
    page.goto(f"{live_server}/stats/")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.get_by_role("heading", level=1).inner_text() == text["title"]
    # The page opens on the current month; the activity ends yesterday, so on the first day of a
    # month that month has nothing yet, and the page says so.
    first_of_month = activity["today"].day == 1
    assert page.get_by_role("heading", name=text["empty" if first_of_month else "headline"]).is_visible()
    assert page.get_by_role("heading", name=text["how"]).is_visible()
    assert_accessible(page)
    if viewport == "phone":
        assert_fits_when_zoomed(page)

    # A custom period of the last 30 days, and one topic.
    start, end = activity["today"] - timedelta(days=30), activity["today"] - timedelta(days=1)
    page.get_by_label(text["period"], exact=True).select_option("custom")
    page.get_by_label(text["from"], exact=True).fill(start.isoformat())
    page.get_by_label(text["to"], exact=True).fill(end.isoformat())
    page.get_by_label(text["topic"], exact=True).select_option(label="Démarches")
    page.get_by_role("button", name=text["show"]).click()
    page.wait_for_load_state("load")
    assert "period=custom" in page.url and f"topic={activity['topics']['demarches'].id}" in page.url
    assert page.get_by_label(text["topic"], exact=True).input_value() == str(activity["topics"]["demarches"].id)
    assert page.get_by_role("heading", name=text["headline"]).is_visible()
    assert page.locator(".stats-figure").first.inner_text().strip() not in ("", "0")
    topics_table = page.locator("#table-topics table")
    assert topics_table.is_hidden()
    page.get_by_text(text["figures_of"]).click()  # each chart's data table, one click away
    assert topics_table.is_visible() and "Démarches" in topics_table.inner_text()
    # Issue 16: the national vocabulary's breakdowns, each a table (behind its chart when it has data).
    for key in ("themes", "genders", "communes"):
        block = page.locator(f"#table-{key}")
        assert block.count() == 1 and text[key] in block.inner_text(), key
    assert_accessible(page)

    # The printable report keeps the filters and names the centre.
    page.get_by_role("link", name=text["report"]).click()
    page.wait_for_load_state("load")
    assert "/stats/report" in page.url and "period=custom" in page.url
    assert page.get_by_role("heading", level=1).inner_text() == text["report_title"]
    assert page.locator(".stats-report-centre").inner_text().strip()
    assert_accessible(page)
    page.emulate_media(media="print")
    assert page.locator(".staff-nav").is_hidden()
    page.emulate_media(media="screen")

    # The XLSX of the same filters opens, with one sheet per section.
    page.go_back()
    with page.expect_download() as download:
        page.get_by_role("link", name=text["xlsx"]).click()
    path = tmp_path / "figures.xlsx"
    download.value.save_as(path)
    workbook = load_workbook(path)
    assert text["sheet"] in workbook.sheetnames
    shown = page.locator(".stats-figure").first.inner_text().replace("\u202f", "").replace("\xa0", "")
    sheet = {row[0]: row[1:] for row in workbook[text["sheet"]].iter_rows(values_only=True) if row}
    assert str(sheet[text["sessions"]][0]) == shown.replace(",", "").strip()

    # The sessions in La Coop's format: its columns, whatever the page's language.
    with page.expect_download() as download:
        page.get_by_role("link", name=text["coop_xlsx"]).click()
    path = tmp_path / "coop.xlsx"
    download.value.save_as(path)
    header = [cell.value for cell in load_workbook(path)["Activités"][1]]
    assert header[:3] == ["Date", "Enregistré le", "Dernière modification le"] and header[-1] == "ID CRA"


def test_a_reversed_period_is_explained_in_the_browser(live_server, new_page, make_user):
    coordinator = make_user(Role.COORDINATOR, language="en")
    page = new_page("desktop", "en-GB")
    log_in(page, live_server, coordinator.email)
    page.goto(f"{live_server}/stats/?period=custom&start=2026-05-01&end=2026-04-01")
    assert page.get_by_role("alert").inner_text().count(TEXT["en"]["reversed"]) == 1
    assert_accessible(page)
