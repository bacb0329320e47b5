"""Issue 11: the exports' types. The CSV says its charset once, the raw sessions' XLSX holds real
date and time cells, and every sheet name fits Excel's 31 characters whole, in both languages."""
import io
from datetime import datetime, time, timedelta

import pytest
from openpyxl import load_workbook

from tiers_lieu.accounts.models import Role
from tiers_lieu.stats.exports import SHEET_NAME_LENGTH, _sheet_name

from .test_stats_views import custom


@pytest.fixture
def history(generated_history):
    return generated_history(days=20, seed=5, residents=30)


@pytest.mark.parametrize("path", ["/stats/export.csv", "/stats/sessions.csv"])
def test_the_csv_says_its_charset_once(client, login_as, history, path):
    login_as(Role.COORDINATOR)
    response = client.get(path, query_string=custom(history))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_the_xlsx_content_type_has_no_charset(client, login_as, history):
    login_as(Role.COORDINATOR)
    for path in ("/stats/export.xlsx", "/stats/sessions.xlsx"):
        content_type = client.get(path, query_string=custom(history)).headers["Content-Type"]
        assert content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_raw_sessions_hold_date_and_time_cells(client, login_as, history):
    login_as(Role.COORDINATOR)
    args = custom(history)
    sheet = load_workbook(io.BytesIO(client.get("/stats/sessions.xlsx", query_string=args).data)).worksheets[0]
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    day_column, start_column = header.index("Date"), header.index("Début")
    duration_column = header.index("Durée (min)")
    rows = list(sheet.iter_rows(min_row=2))
    assert rows
    for row in rows:
        day, start, duration = row[day_column], row[start_column], row[duration_column]
        assert isinstance(day.value, datetime) and day.is_date and day.number_format == "dd/mm/yyyy"
        assert history["first"] <= day.value.date() <= history["today"] - timedelta(days=1)
        if start.value is not None:
            assert isinstance(start.value, time) and start.number_format == "hh:mm"
        assert isinstance(duration.value, int)
    csv_rows = client.get("/stats/sessions.csv", query_string=args).get_data(as_text=True).splitlines()[1:]
    first = csv_rows[0].split(";")
    assert first[day_column] == rows[0][day_column].value.date().isoformat()
    assert first[start_column] == rows[0][start_column].value.strftime("%H:%M")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_sheet_name_fits_whole(client, login_as, history, lang):
    login_as(Role.COORDINATOR)
    client.get(f"/?lang={lang}")
    args = custom(history)
    figures = load_workbook(io.BytesIO(client.get("/stats/export.xlsx", query_string=args).data))
    sessions = load_workbook(io.BytesIO(client.get("/stats/sessions.xlsx", query_string=args).data))
    names = figures.sheetnames + sessions.sheetnames
    assert len(names) == 12
    intended = {
        "fr": {"Accompagnements et personnes", "Rendez-vous et créneaux", "Sans RDV, attente, durée",
               "Motifs de venue", "Résultats et orientations", "Autonomie", "Besoins repérés", "Profils",
               "Jours et heures d'affluence", "Évolution", "Demandes de rappel", "Accompagnements"},
        "en": {"Sessions and people", "Bookings and slots", "Walk-ins, waiting, time", "What people came for",
               "Outcomes and referrals", "Autonomy", "Needs noticed", "Profiles", "Busiest weekdays and hours",
               "Trends", "Call-back requests", "Help sessions"},
    }[lang]
    assert set(names) == intended
    assert all(len(name) <= SHEET_NAME_LENGTH for name in names)


def test_a_name_too_long_is_cut_at_a_word_never_inside_one():
    used = set()
    name = _sheet_name("Sans rendez-vous, attente et temps passé au guichet", used)
    assert name == "Sans rendez-vous, attente et"
    assert _sheet_name("Sans rendez-vous, attente et temps passé au guichet", used) != name  # unique
    assert _sheet_name("a/b:c*d?e[f]g\\h", set()) == "abcdefgh"
    assert len(_sheet_name("x" * 40, set())) == SHEET_NAME_LENGTH
