"""Formula injection: text typed by staff never becomes a formula in a CSV or XLSX export.

Every field that staff type and that reaches an export is set to text a spreadsheet would run;
each export is downloaded as a coordinator, in French and in English, with and without filters,
and read back the way a spreadsheet would: with the csv module and with openpyxl.
"""
import csv
import io
import re
from datetime import date, datetime, time, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from tiers_lieu.accounts.models import Role
from tiers_lieu.core.centre import Centre
from tiers_lieu.core.centre import centre_timezone
from tiers_lieu.desk.models import Need, ReferralKind, ReferralTarget
from tiers_lieu.desk.sessions.log import Origin, SessionData, log_session
from tiers_lieu.extensions import db
from tiers_lieu.stats.exports import csv_lines, spreadsheet_cell, xlsx_append

HYPERLINK = '=HYPERLINK("http://evil.example","x")'
PAYLOADS = [HYPERLINK, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", " =1+1", "\uff1d1+1", "=cmd|' /C calc'!A0"]
# What a spreadsheet reads as the start of a formula, past any leading blank.
FORMULA_START = re.compile(r"^[\s]*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r\n]")
PLAIN_NUMBER = re.compile(r"^-?\d+([.,]\d+)?$")


@pytest.fixture
def hostile(app, make_user, make_topic, make_location):
    """Topics, places, lists, staff, the centre and logged sessions, all named with formulas."""
    first = make_user(Role.FACILITATOR, name=HYPERLINK)
    second = make_user(Role.FACILITATOR, name="@SUM(A1)")
    topics = [make_topic(slug="demarches", name_fr="+T1", name_en="-T1"),
              make_topic(name_fr="\t=T2", name_en="\r=T2")]
    places = [make_location("-2+3"), make_location("#REF!")]  # openpyxl would make an error code of it
    needs = [Need(label_fr="=N1", label_en=" +N1"), Need(label_fr="@N2", label_en="-N2")]
    referral = ReferralTarget(kind=ReferralKind.OTHER.value, label_fr="+A1", label_en="-R1")
    # The topics' procedure lists reach no export: the session's own "which procedure" text does.
    db.session.add_all([*needs, referral, Centre(name=HYPERLINK)])
    db.session.commit()
    today = datetime.now(centre_timezone()).date()
    for n, text in enumerate(PAYLOADS + ["=1\x0b+1"]):  # a control character XLSX cannot hold, too
        data = SessionData(
            # Half of them workshops, whose title is free text too (issue 16).
            kind="workshop" if n % 2 else "individual", workshop_title=text if n % 2 else None,
            day=today - timedelta(days=1 + n % 5), start_time=time(9 + n % 8),
            duration_minutes=15 + 15 * n, channel="on_site", topic_ids=[topics[n % 2].id],
            admin_domain="social_health", procedure_name=text, outcome="referred", referral_target_id=referral.id,
            need_ids=[need.id for need in needs], neighbourhood=text, note="=NOTE()",
            location_id=places[n % 2].id)
        log_session(db.session, data, first if n % 2 else second, Origin())
    return {"today": today, "topics": topics, "places": places, "staff": [first, second]}


def download(client, path, args):
    response = client.get(path, query_string=args)
    assert response.status_code == 200, path
    return response


def csv_rows(body):
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:], newline=""), delimiter=";"))


def xlsx_cells(data):
    workbook = load_workbook(io.BytesIO(data))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
            if cell.value is not None]


def assert_csv_holds_no_formula(fields):
    for field in fields:
        assert not FORMULA_START.match(field) or PLAIN_NUMBER.match(field), repr(field)


def assert_xlsx_holds_no_formula(cells):
    for cell in cells:
        assert cell.data_type != "f", (cell.coordinate, cell.value)
        if isinstance(cell.value, str):
            assert cell.data_type == "s", (cell.coordinate, cell.value)
            assert not FORMULA_START.match(cell.value), (cell.coordinate, cell.value)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_no_export_holds_a_formula(client, login_as, hostile, language):
    login_as(Role.COORDINATOR)
    client.set_cookie("lang", language)
    period = {"period": "custom", "start": (hostile["today"] - timedelta(days=10)).isoformat(),
              "end": (hostile["today"] - timedelta(days=1)).isoformat()}
    filtered = {**period, "topic": hostile["topics"][0].id, "facilitator": hostile["staff"][1].id,
                "place": hostile["places"][0].id}
    # The topics, the needs and the referral target, in the export's language.
    names = {"fr": ["+T1", "\t=T2", "=N1", "@N2", "+A1"], "en": ["-T1", "\r=T2", " +N1", "-N2", "-R1"]}[language]
    for args in (period, filtered):
        figures = csv_rows(download(client, "/stats/export.csv", args).get_data(as_text=True))
        assert_csv_holds_no_formula([field for row in figures for field in row])

        cells = xlsx_cells(download(client, "/stats/export.xlsx", args).data)
        assert_xlsx_holds_no_formula(cells)
        assert "'" + HYPERLINK in [cell.value for cell in cells]  # the centre's name heads every sheet

        sessions = download(client, "/stats/sessions.csv", args).get_data(as_text=True)
        assert "=NOTE()" not in sessions  # notes are never exported
        rows = csv_rows(sessions)
        assert_csv_holds_no_formula([field for row in rows for field in row])

        raw = xlsx_cells(download(client, "/stats/sessions.xlsx", args).data)
        assert_xlsx_holds_no_formula(raw)

        coop = download(client, "/stats/sessions.csv", {**args, "format": "coop"}).get_data(as_text=True)
        assert "=NOTE()" not in coop
        assert_csv_holds_no_formula([field for row in csv_rows(coop) for field in row])
        assert_xlsx_holds_no_formula(xlsx_cells(download(client, "/stats/sessions.xlsx",
                                                         {**args, "format": "coop"}).data))

    # The staff's words are all there, neutralised, and the numbers are still numbers.
    items = {item: value for _section, _table, item, _measure, value in figures_of(client, period)}
    for text in PAYLOADS:
        assert "'" + text in items  # as a neighbourhood
    assert items["'" + names[0]] == "5" and items["'" + names[1]] == "5"  # the topics
    assert items["'" + names[2]] == items["'" + names[3]] == "10"  # the needs
    assert items["'" + names[4]] == "10"  # the referral target

    values = [cell.value for cell in xlsx_cells(download(client, "/stats/export.xlsx", period).data)]
    # XML reads a carriage return back as a line feed.
    assert {("'" + text).replace("\r", "\n") for text in PAYLOADS + names} <= set(values)
    assert 10 in values and all(type(value) is not str or not value.lstrip("'").isdigit() for value in values)

    rows = csv_rows(download(client, "/stats/sessions.csv", period).get_data(as_text=True))
    duration = "Duration (min)" if language == "en" else "Durée (min)"
    body = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert sorted(int(row[duration]) for row in body) == [15 + 15 * n for n in range(len(PAYLOADS) + 1)]
    every = {field for row in rows for field in row}
    assert {"'" + text for text in PAYLOADS} <= every  # the procedure and the neighbourhood
    assert {"'" + HYPERLINK, "'@SUM(A1)", "'-2+3", "#REF!", "'" + names[0], "'" + names[1],
            "'" + names[4]} <= every  # the staff, the places, the topics, the referral target
    assert "'" + names[2] + " | " + names[3] in every  # the needs, joined
    workshop_title = "Workshop title" if language == "en" else "Titre de l'atelier"
    typed_titles = {""} | {"'" + text for text in (PAYLOADS + ["=1\x0b+1"])[1::2]}  # the workshops' only
    assert {row[workshop_title] for row in body} == typed_titles

    coop = csv_rows(download(client, "/stats/sessions.csv", {**period, "format": "coop"}).get_data(as_text=True))
    titles = {dict(zip(coop[0], row))["Nom de l’atelier"] for row in coop[1:]}
    assert titles == typed_titles
    assert {"'" + text for text in PAYLOADS} <= {field for row in coop for field in row}  # the procedures

    sheet = load_workbook(io.BytesIO(download(client, "/stats/sessions.xlsx", period).data)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    durations = [row[header.index(duration)] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(durations) == [15 + 15 * n for n in range(len(PAYLOADS) + 1)]
    assert all(type(value) is int for value in durations)
    place = header.index("Lieu" if language == "fr" else "Place") + 1
    assert {(cell.value, cell.data_type) for cell in sheet[get_column_letter(place)][1:]} == {
        ("'-2+3", "s"), ("#REF!", "s")}


def figures_of(client, args):
    return csv_rows(download(client, "/stats/export.csv", args).get_data(as_text=True))[1:]


def test_a_negative_number_stays_a_number_and_text_like_it_does_not():
    assert spreadsheet_cell(-3) == -3 and spreadsheet_cell(-1.5) == -1.5
    assert spreadsheet_cell(date(2026, 1, 2)) == date(2026, 1, 2)
    assert spreadsheet_cell("-3") == "'-3"
    assert spreadsheet_cell("R-1a2b") == "R-1a2b" and spreadsheet_cell("") == ""
    lines = list(csv_lines([[-3, -1.5, "-3", None, "=1"]]))
    assert lines[1] == "-3;-1.5;'-3;;'=1\r\n"

    for write_only in (False, True):
        workbook = Workbook(write_only=write_only)
        sheet = workbook.create_sheet("x")
        xlsx_append(sheet, [-3, -1.5, "-3", "#N/A", "=1", "a\x01b", date(2026, 1, 2)])
        buffer = io.BytesIO()
        workbook.save(buffer)
        cells = list(load_workbook(buffer)["x"].iter_rows())[0]
        assert [cell.value for cell in cells[:6]] == [-3, -1.5, "'-3", "#N/A", "'=1", "a\ufffdb"]
        assert [cell.data_type for cell in cells[:6]] == ["n", "n", "s", "s", "s", "s"]
        assert cells[6].is_date
