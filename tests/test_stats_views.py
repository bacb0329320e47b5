"""The statistics' pages and exports: one source of truth, roles, bad input, pseudonymous raw data."""
import csv
import io
import re
from collections import Counter
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tiers_lieu.accounts.models import Role
from tiers_lieu.booking.models import Booking, Slot
from tiers_lieu.desk.models import HelpSession, Resident
from tiers_lieu.extensions import db

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def history(generated_history):
    """Seventy days of generated activity in two rooms, with two facilitators."""
    written = generated_history(days=70, seed=3, residents=80)
    assert written["counts"]["sessions"] > 100
    return written


def custom(history, **extra):
    return {"period": "custom", "start": history["first"].isoformat(),
            "end": (history["today"] - timedelta(days=1)).isoformat(), **extra}


def recount(start, end, facilitator_id=None):
    """The figures counted the plain way: every session of the period loaded and added up in Python."""
    from flask import current_app
    from flask_babel import force_locale
    with current_app.test_request_context(), force_locale("en"):
        return _recount(start, end, facilitator_id)


def _recount(start, end, facilitator_id):
    query = select(HelpSession).where(HelpSession.day >= start, HelpSession.day <= end)
    if facilitator_id:
        query = query.where(HelpSession.facilitator_id == facilitator_id)
    sessions = db.session.execute(query).scalars().all()
    residents, others, named, minutes = set(), 0, 0, 0
    topics, needs = Counter(), Counter()
    for session in sessions:
        linked = [a for a in session.attendees if a.resident_id]
        residents.update(a.resident_id for a in linked)
        others += session.participant_count - len(linked)
        named += len(session.attendees)
        minutes += session.duration_minutes
        for topic in session.topics:
            topics[topic.name] += session.participant_count
        for need in session.needs:
            needs[need.label] += session.participant_count
    first, after = (datetime.combine(day, datetime.min.time(), PARIS) for day in (start, end + timedelta(days=1)))
    bookings = Counter()
    for booking in db.session.execute(select(Booking).join(Slot)).scalars():
        if first <= booking.slot.starts_at < after and (facilitator_id is None
                                                        or booking.slot.facilitator_id == facilitator_id):
            bookings[booking.status] += 1
    return {
        "sessions": len(sessions), "participants": sum(s.participant_count for s in sessions),
        "people": len(residents) + others, "named": named, "hours": round(minutes / 60, 1),
        "topics": topics, "needs": needs, "bookings": sum(bookings.values()), "seen": bookings["seen"],
    }


def headline_from_html(html):
    """{label: number} of the dashboard's headline figures, as a reader sees them."""
    found = re.findall(r'<span class="stats-figure">([^<]*)</span> <span class="stats-figure-label">([^<]*)</span>',
                       html)
    return {label: value.replace(",", "").replace("\u202f", "").replace(" h", "").strip() for value, label in found}


def english(client):
    client.set_cookie("lang", "en")


def csv_figures(body):
    assert body.startswith("\ufeff")
    reader = csv.reader(io.StringIO(body[1:]), delimiter=";")
    header = next(reader)
    assert header == ["Section", "Table", "Item", "Measure", "Value"]
    return {(table, item, measure): value for _section, table, item, measure, value in reader}


def test_dashboard_exports_and_a_plain_recount_agree(client, login_as, history):
    login_as(Role.COORDINATOR)
    english(client)
    args = custom(history)
    expected = recount(history["first"], history["today"] - timedelta(days=1))

    page = client.get("/stats/", query_string=args)
    assert page.status_code == 200
    shown = headline_from_html(page.get_data(as_text=True))
    assert shown["Help sessions"] == str(expected["sessions"])
    assert shown["Participants (one per person per session)"] == str(expected["participants"])
    assert shown["People helped"] == str(expected["people"])
    assert float(shown["Hours spent helping"]) == expected["hours"]
    assert shown["Bookings"] == str(expected["bookings"])

    exported = csv_figures(client.get("/stats/export.csv", query_string=args).get_data(as_text=True))
    assert exported[("People helped", "Help sessions", "Number")] == str(expected["sessions"])
    assert exported[("People helped", "People helped", "Number")] == str(expected["people"])
    assert exported[("People helped", "Named participants", "Number")] == str(expected["named"])
    assert exported[("Bookings by status", "Seen", "Bookings")] == str(expected["seen"])
    for name, people in expected["topics"].items():
        assert exported[("By topic", name, "Participants")] == str(people)
    for label, people in expected["needs"].items():
        assert exported[("Needs noticed, most frequent first", label, "Participants")] == str(people)

    workbook = load_workbook(io.BytesIO(client.get("/stats/export.xlsx", query_string=args).data))
    assert "Sessions and people" in workbook.sheetnames and "Trends" in workbook.sheetnames
    sheet = {row[0]: row[1:] for row in workbook["Sessions and people"].iter_rows(values_only=True) if row}
    assert sheet["Help sessions"][0] == expected["sessions"]
    assert sheet["People helped"][0] == expected["people"]


def test_raw_sessions_are_one_row_per_participant_and_pseudonymous(client, login_as, history):
    login_as(Role.COORDINATOR)
    english(client)
    args = custom(history)
    expected = recount(history["first"], history["today"] - timedelta(days=1))
    response = client.get("/stats/sessions.csv", query_string=args)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) - 1 == expected["participants"]
    pseudonyms = {row[2] for row in rows[1:] if row[2]}
    assert pseudonyms and all(re.fullmatch(r"R-[0-9a-f]{12}", p) for p in pseudonyms)
    for resident in db.session.execute(select(Resident)).scalars():
        for contact in (resident.phone, resident.email):
            assert contact is None or contact not in body
        assert f";{resident.last_name};" not in body
    again = client.get("/stats/sessions.csv", query_string=args).get_data(as_text=True)
    assert again == body  # the same people keep the same pseudonyms

    workbook = load_workbook(io.BytesIO(client.get("/stats/sessions.xlsx", query_string=args).data))
    sheet = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert len(sheet) - 1 == expected["participants"]
    assert [[as_csv_text(value) for value in row] for row in sheet[1:4]] == [
        [int(v) if v.isdigit() else (v or None) for v in row] for row in rows[1:4]]


def as_csv_text(value):
    """An XLSX value as the CSV writes it: the date cell as an ISO date, the time cell as HH:MM."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value


def test_a_facilitator_sees_only_their_own_sessions(client, login_as, history):
    me = login_as(Role.FACILITATOR)
    page = client.get("/stats/", query_string={"period": "this_year"})
    assert page.status_code == 200
    assert 'name="facilitator"' not in page.get_data(as_text=True)
    for path in ("/stats/", "/stats/report", "/stats/export.csv", "/stats/export.xlsx", "/stats/sessions.csv",
                 "/stats/sessions.xlsx"):
        assert client.get(path, query_string={"facilitator": history["f1"].id}).status_code == 403
    own = client.get("/stats/sessions.csv", query_string={**custom(history), "facilitator": me.id})
    assert own.status_code == 200
    assert len(own.get_data(as_text=True).strip().splitlines()) == 1  # the header: this new facilitator helped nobody


def test_facilitator_figures_equal_the_coordinators_filtered_view(client, history):
    from tests.conftest import log_in
    log_in(client, history["f1"].email)
    english(client)
    mine = csv_figures(client.get("/stats/export.csv", query_string=custom(history)).get_data(as_text=True))
    expected = recount(history["first"], history["today"] - timedelta(days=1), facilitator_id=history["f1"].id)
    assert mine[("People helped", "Help sessions", "Number")] == str(expected["sessions"])
    assert mine[("People helped", "Participants (one per person per session)", "Number")] == \
        str(expected["participants"])


def test_staff_only(client):
    response = client.get("/stats/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/stats/export.xlsx").status_code == 302


@pytest.mark.parametrize("args, message", [
    ({"period": "custom", "start": "2026-05-01", "end": "2026-04-01"}, "ends before it starts"),
    ({"period": "custom", "start": "2026-02-30", "end": "2026-03-01"}, "Give both dates"),
    ({"period": "custom", "start": "", "end": ""}, "Give both dates"),
    ({"period": "custom", "start": "1900-01-01", "end": "2026-01-01"}, "between the year 2000"),
    ({"period": "custom", "start": "2026-01-01", "end": "9999-12-31"}, "between the year 2000"),
    ({"period": "forever"}, "This period is unknown"),
    ({"topic": "abc"}, "This topic is unknown"),
    ({"topic": "999999"}, "This topic is unknown"),
    ({"facilitator": "999999"}, "This facilitator is unknown"),
    ({"place": "-1"}, "This place is unknown"),
])
def test_bad_filters_are_explained_never_a_crash(client, login_as, args, message):
    login_as(Role.COORDINATOR)
    english(client)
    page = client.get("/stats/", query_string=args)
    assert page.status_code == 200
    assert message in page.get_data(as_text=True)
    report = client.get("/stats/report", query_string=args)
    assert report.status_code == 200 and message in report.get_data(as_text=True)
    export = client.get("/stats/export.xlsx", query_string=args)
    assert export.status_code == 302 and export.headers["Location"].startswith("/stats/")


def test_bad_filters_are_explained_in_french(client, login_as):
    login_as(Role.COORDINATOR)
    page = client.get("/stats/", query_string={"period": "custom", "start": "2026-05-01", "end": "2026-04-01"},
)
    assert "se termine avant de commencer" in page.get_data(as_text=True)


def test_an_empty_period_says_so(client, login_as):
    login_as(Role.COORDINATOR)
    english(client)
    page = client.get("/stats/", query_string={"period": "last_year"})
    assert page.status_code == 200
    assert "Nothing recorded in this period" in page.get_data(as_text=True)
    report = client.get("/stats/report", query_string={"period": "last_year"})
    assert report.status_code == 200
    exported = csv_figures(client.get("/stats/export.csv", query_string={"period": "last_year"}).get_data(as_text=True))
    assert exported[("Rates and occupancy", "No-show rate (%)", "Value")] == ""


def test_the_report_names_the_centre_and_the_period(client, login_as, history):
    login_as(Role.COORDINATOR)
    english(client)
    page = client.get("/stats/report", query_string=custom(history))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Activity report of the digital-inclusion space" in html
    assert history["first"].strftime("%Y") in html
    assert html.count("<svg") >= 8 and "<script>" not in html and 'style="' not in html
    # Issue 16: the national themes, the genders and the communes, beside the topics and the ages.
    assert all(f'id="table-{key}"' in html for key in ("themes", "genders", "communes"))


def test_dashboard_statements_do_not_grow_with_the_period(client, login_as, history):
    from sqlalchemy import event
    login_as(Role.COORDINATOR)
    english(client)
    counts = []
    for args in ({"period": "this_month"}, custom(history), {"period": "custom", "start": "2000-01-01",
                                                              "end": history["today"].isoformat()}):
        statements = []
        listener = lambda *a: statements.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/stats/", query_string=args).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        counts.append(len(statements))
    assert counts[0] == counts[1] == counts[2]


def test_french_csv_writes_decimals_with_a_comma(client, login_as, history):
    login_as(Role.COORDINATOR)
    body = client.get("/stats/export.csv", query_string=custom(history)).get_data(as_text=True)
    reader = csv.reader(io.StringIO(body[1:]), delimiter=";")
    assert next(reader) == ["Rubrique", "Tableau", "Élément", "Mesure", "Valeur"]
    rates = {item: value for _section, _table, item, _measure, value in reader if item.startswith("Taux d'absence")}
    assert rates and all("," in value and "." not in value for value in rates.values())
