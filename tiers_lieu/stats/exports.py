"""CSV and XLSX exports: the dashboard's figures, and the raw help sessions one row per participant.

CSV files are UTF-8 with a byte-order mark and use `;` between fields, which is what Excel in
French expects; decimals take a comma in French and a point in English. The figures come from `figures.figures`, the
same call the dashboard makes. Raw sessions are pseudonymous: a resident appears as a stable
pseudonym (an HMAC of their id with the app's secret key), never with a name, phone, e-mail or
note. Both raw exports stream: sessions are read 1,000 at a time by id, so memory stays flat
whatever the number of rows; the XLSX is written by openpyxl in write-only mode to a temporary
file that is then sent in chunks and deleted. The raw sessions also come in La Coop de la médiation
numérique's columns and codes (`coop.session_rows`), through the same writers.

Every cell of every export goes through `spreadsheet_cell`, called by the one CSV writer
(`csv_lines`) and the one XLSX writer (`xlsx_append`): text typed by staff (a name, a place, a
neighbourhood, a list entry) can never become a formula that the spreadsheet runs when the file
is opened, while numbers and dates stay numbers and dates.
"""
import csv
import hashlib
import hmac
import io
import os
import tempfile
from datetime import date, time
from decimal import Decimal
from functools import partial

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from sqlalchemy import select

from ..accounts.models import User
from ..booking.models import Location
from ..desk.models import (AdminDomain, AgeBracket, Assistance, Autonomy, Channel, Equipment, Gender, NationalTheme,
                           Outcome, SessionKind, SessionTheme, Situation, WorkshopLevel, help_session_need,
                           help_session_topic)
from . import coop
from .queries import ATT, by_session, list_labels, session_chunks

CHUNK = 1_000
CSV_BOM = "\ufeff"
SEPARATOR = ";"


# OWASP's "CSV Injection": Excel, LibreOffice and Google Sheets read a cell starting with one of
# these as a formula; some fold the full-width forms to the plain ones, so they count too. A
# cell starting with a tab or a line break is neutralised as well, as OWASP advises.
FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
RISKY_FIRST = FORMULA_STARTS | frozenset("\t\r\n")
NUMBERS = (int, float, Decimal, date, time)  # a datetime is a date


def spreadsheet_text(text):
    """Text that a spreadsheet shows as typed: a quote before it when it could start a formula.

    The quote is what OWASP advises and what a spreadsheet itself puts before text typed to look
    like a formula. Leading spaces are looked past, in case a spreadsheet trims them.
    """
    first = text[:1]
    if first in RISKY_FIRST or (first.isspace() and text.lstrip()[:1] in FORMULA_STARTS):
        return "'" + text
    return text


def spreadsheet_cell(value):
    """A value as an export writes it: None, numbers and dates as they are, anything else as safe text."""
    if type(value) is str:  # most cells, first: a year of raw sessions is over a million of them
        return spreadsheet_text(value)
    if value is None or isinstance(value, NUMBERS):
        return value
    return spreadsheet_text(str(value))


class _Line:
    """A file-like object that hands back what csv.writer wrote to it."""

    def __init__(self):
        self.value = ""

    def write(self, text):
        self.value += text


def csv_lines(rows):
    """Encode rows as CSV lines, one string at a time, the first one starting with the BOM.

    Decimals take the export language's separator (a comma in French), as Excel expects there.
    """
    comma = get_locale() is not None and get_locale().language == "fr"
    line = _Line()
    writer = csv.writer(line, delimiter=SEPARATOR, lineterminator="\r\n")
    yield CSV_BOM
    for row in rows:
        line.value = ""
        writer.writerow(["" if value is None else (str(value).replace(".", ",") if comma and isinstance(value, float)
                                                   else value.strftime("%H:%M") if type(value) is time
                                                   else value) for value in map(spreadsheet_cell, row)])
        yield line.value


DATE_FORMAT = "dd/mm/yyyy"
TIME_FORMAT = "hh:mm"


def xlsx_append(sheet, row):
    """Append a row to a sheet (write-only or not): numbers as numbers, text as string cells.

    openpyxl stores a str starting with "=" as a formula and one that reads as an error code
    ("#N/A") as an error: such text gets a cell of its own typed as a string. Any other str is
    a string cell already, and a cell object for each would cost 4 µs a value, a million a year.
    Characters that XLSX cannot hold (control characters) become U+FFFD instead of failing
    the whole file.
    """
    values = []
    for value in row:
        value = spreadsheet_cell(value)
        if isinstance(value, (date, time)):  # a date or time cell that a spreadsheet can sort and count
            cell = WriteOnlyCell(sheet, value)
            cell.number_format = TIME_FORMAT if isinstance(value, time) else DATE_FORMAT
            value = cell
        elif isinstance(value, str):
            if ILLEGAL_CHARACTERS_RE.search(value):
                value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
            if value.startswith("=") or value in ERROR_CODES:
                cell = WriteOnlyCell(sheet, value)
                cell.data_type = "s"
                value = cell
        values.append(value)
    sheet.append(values)


# -- the figures --------------------------------------------------------------------------------------

def figure_rows(figures, describe):
    """Rows of the figures in long form: section, table, item, measure, value (the CSV's layout).

    `describe` is the period and filters in words, written first.
    """
    yield [_("Section"), _("Table"), _("Item"), _("Measure"), _("Value")]
    yield [_("Filters"), "", "", "", describe]
    for section in figures.sections:
        for table in section.tables:
            measures = table.columns[table.label_columns:]
            for row in table.rows:
                label = " → ".join(str(part) for part in row[:table.label_columns])
                for measure, value in zip(measures, row[table.label_columns:]):
                    yield [section.title, table.title, label, measure, value]


def figures_csv(figures, describe):
    return csv_lines(figure_rows(figures, describe))


def figures_xlsx(figures, describe, centre_name):
    """The figures as an XLSX workbook (bytes): one sheet per section, its tables one under another."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    used = set()
    for section in figures.sections:
        name = _sheet_name(str(section.sheet_name or section.title), used)
        sheet = workbook.create_sheet(name)
        xlsx_append(sheet, [centre_name])
        xlsx_append(sheet, [describe])
        xlsx_append(sheet, [])
        for table in section.tables:
            xlsx_append(sheet, [table.title])
            xlsx_append(sheet, table.columns)
            for row in table.rows:
                xlsx_append(sheet, row)
            xlsx_append(sheet, [])
        sheet.column_dimensions["A"].width = 48
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


SHEET_NAME_LENGTH = 31  # Excel's limit


def _sheet_name(title, used):
    """Excel's sheet names: at most 31 characters, none of []:*?/\\, unique. Every section's name
    fits in both languages (tests/test_exports_types.py); were one to grow, it is cut at a word."""
    name = "".join(char for char in title if char not in "[]:*?/\\")
    if len(name) > SHEET_NAME_LENGTH:
        name = name[:SHEET_NAME_LENGTH + 1].rsplit(" ", 1)[0].rstrip(" ,;") if " " in name else name
        name = name[:SHEET_NAME_LENGTH]
    name = name or "Sheet"
    candidate, n = name, 2
    while candidate in used:
        candidate = f"{name[:28]} {n}"
        n += 1
    used.add(candidate)
    return candidate


# -- the raw sessions ---------------------------------------------------------------------------------

SESSION_COLUMNS = [
    _l("Session"), _l("Participant"), _l("Resident pseudonym"), _l("Date"), _l("Start"), _l("Kind"),
    _l("Duration (min)"), _l("Participants in the session"), _l("Workshop title"), _l("Workshop level"),
    _l("Booked or walk-in"), _l("Channel"), _l("Equipment"), _l("Own equipment"), _l("Topics"),
    _l("National themes"), _l("Administrative domain"), _l("Procedure"), _l("Done with or for"),
    _l("Aidants Connect"), _l("Autonomy"), _l("Outcome"), _l("Referred to"), _l("Needs noticed"),
    _l("Age bracket"), _l("Gender"), _l("Situation"), _l("Commune"), _l("Commune INSEE code"),
    _l("Postal code"), _l("Neighbourhood"), _l("First visit"), _l("Facilitator"), _l("Place"),
]


def pseudonym(secret_key, resident_id):
    """A stable pseudonym of a resident: the same person always gets the same one, nobody can reverse it."""
    digest = hmac.new(secret_key.encode(), f"stats-resident:{resident_id}".encode(), hashlib.sha256).hexdigest()
    return "R-" + digest[:12]


def _yes_no(value):
    if value is None:
        return ""
    return _("Yes") if value else _("No")


def session_rows(session, filters, secret_key):
    """The header, then one row per participant of every session of the filters, read by chunks."""
    labels = list_labels(session)
    staff = dict(session.execute(select(User.id, User.display_name)).all())
    places = dict(session.execute(select(Location.id, Location.name)).all())
    booked, walk_in = _("Booked"), _("Walk-in")
    yield SESSION_COLUMNS
    for sessions in session_chunks(session, filters, CHUNK):
        ids = [row.id for row in sessions]
        topics = by_session(session, select(help_session_topic.c.session_id, help_session_topic.c.topic_id)
                            .where(help_session_topic.c.session_id.in_(ids)))
        needs = by_session(session, select(help_session_need.c.session_id, help_session_need.c.need_id)
                           .where(help_session_need.c.session_id.in_(ids)))
        themes = by_session(session, select(SessionTheme.session_id, SessionTheme.theme)
                            .where(SessionTheme.session_id.in_(ids)))
        attendees = by_session(session, select(ATT.c.session_id, ATT.c.resident_id, ATT.c.booking_id)
                               .where(ATT.c.session_id.in_(ids)).order_by(ATT.c.id))
        session.rollback()  # end the read transaction between chunks: nothing is held while streaming
        for row in sessions:
            named = attendees.get(row.id, [])[:row.participant_count]
            access = booked if row.slot_id is not None or any(b for _, b in named) else walk_in
            commune = labels.communes.get(str(row.commune_id)) if row.commune_id else None
            common = [
                row.day, row.start_time.replace(second=0, microsecond=0) if row.start_time else None,
                SessionKind.label_of(row.kind), row.duration_minutes, row.participant_count,
                row.workshop_title or "", WorkshopLevel.label_of(row.workshop_level) if row.workshop_level else "",
                access, Channel.label_of(row.channel), Equipment.label_of(row.equipment) if row.equipment else "",
                _yes_no(row.equipment_own), " | ".join(labels.topics.get(str(topic_id), "") for topic_id in topics.get(row.id, [])),
                " | ".join(str(member.label) for member in NationalTheme if member.value in themes.get(row.id, ())),
                AdminDomain.label_of(row.admin_domain) if row.admin_domain else "", row.procedure_name or "",
                Assistance.label_of(row.assistance) if row.assistance else "", _yes_no(row.aidants_connect),
                Autonomy.label_of(row.autonomy) if row.autonomy else "",
                Outcome.label_of(row.outcome) if row.outcome else "",
                labels.referrals.get(str(row.referral_target_id), "") if row.referral_target_id else "",
                " | ".join(labels.needs.get(str(need_id), "") for need_id in needs.get(row.id, [])),
                AgeBracket.label_of(row.age_bracket) if row.age_bracket else "",
                Gender.label_of(row.gender) if row.gender else "",
                Situation.label_of(row.situation) if row.situation else "",
                commune.name if commune else "", commune.insee_code if commune else "",
                commune.postal_code if commune else (row.other_postal_code or ""), row.neighbourhood or "",
                _yes_no(row.first_visit), staff.get(row.facilitator_id, ""), places.get(row.location_id, ""),
            ]
            for n in range(row.participant_count):
                resident_id = named[n][0] if n < len(named) else None
                who = pseudonym(secret_key, resident_id) if resident_id is not None else ""
                yield [row.id, n + 1, who] + common


def sessions_csv(session, filters, secret_key):
    return csv_lines(session_rows(session, filters, secret_key))


def sessions_xlsx(session, filters, secret_key):
    return rows_xlsx(session_rows(session, filters, secret_key), str(_l("Help sessions")))


def coop_sessions_csv(session, filters, secret_key, own_sessions):
    """The sessions in La Coop's columns and codes (coop.py)."""
    return csv_lines(coop.session_rows(session, filters, partial(pseudonym, secret_key), own_sessions))


def coop_sessions_xlsx(session, filters, secret_key, own_sessions):
    # "Activités": the name of the Coop's own sheet.
    return rows_xlsx(coop.session_rows(session, filters, partial(pseudonym, secret_key), own_sessions), "Activités")


def rows_xlsx(rows, title, chunk_size=64 * 1024):
    """Write rows with openpyxl's write-only mode to a temporary file, then yield its bytes."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_name(title, set()))
    for row in rows:
        xlsx_append(sheet, row)
    handle, path = tempfile.mkstemp(prefix="tiers-lieu-sessions-", suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(path)
        with open(path, "rb") as file:
            while chunk := file.read(chunk_size):
                yield chunk
    finally:
        os.unlink(path)
