"""What a request may bring in, defined once for every page: ids, dates and text.

- Ids: every id column is an `Integer`, which PostgreSQL stores in 32 bits and refuses beyond
  2**31 - 1 (SQLite beyond 2**63 - 1). A larger number in an address, a query string or a form
  can name no row: it is "not found", never a database error.
- Dates: the centre works between 1 January 2000 and 31 December 2100. Beyond, dates stop
  being things a person means (year 1, year 9999) and start breaking arithmetic: the day after
  31 December 9999 does not exist, and year 1 in Paris time is before the first UTC instant.
  Forms refuse them with a message; filters read them as unreadable.
- Text: control characters (NUL above all, which PostgreSQL refuses in text) are removed from
  every query-string and form value, and addresses with one in a segment lead nowhere.
"""
import re
from datetime import date

from flask import Request, abort, request
from flask_babel import format_date
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter, UnicodeConverter
from wtforms import DateField, IntegerField
from wtforms.validators import ValidationError

MAX_ID = 2**31 - 1

EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)

# Tab, line feed and carriage return stay: a note may hold several lines.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ID_TEXT = re.compile(r"[0-9]{1,10}")


def without_control_characters(value):
    return CONTROL_CHARACTERS.sub("", value) if isinstance(value, str) else value


def id_from(text):
    """The id written in a query-string or form value, or None when no row can have it."""
    if not isinstance(text, str) or not ID_TEXT.fullmatch(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def id_argument(name):
    """An id from the address: None when absent, 404 when no row can have it."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    return id_from(raw) or abort(404)


def within_calendar(day):
    return EARLIEST_DATE <= day <= LATEST_DATE


def date_from(text):
    """The date written YYYY-MM-DD, or None when it is not one or lies outside the calendar."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return day if within_calendar(day) else None


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: at most ten ASCII digits, within the range of an id."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=False)


class SegmentConverter(UnicodeConverter):
    """`<name>` and `<string:…>`: one path segment without control characters."""

    def __init__(self, map, minlength=1, maxlength=None, length=None):
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", r"[^/\x00-\x1f\x7f]", 1)


class CleanMultiDict(ImmutableMultiDict):
    """Query-string and form values (and their names) without control characters; files untouched."""

    def __init__(self, mapping=None):
        if isinstance(mapping, list):
            mapping = [(without_control_characters(key), without_control_characters(value))
                       for key, value in mapping]
        super().__init__(mapping)


class CleanRequest(Request):
    parameter_storage_class = CleanMultiDict


def calendar_message():
    return _("Give a date between %(first)s and %(last)s.", first=format_date(EARLIEST_DATE, "long"),
             last=format_date(LATEST_DATE, "long"))


def check_calendar(form, field):
    """WTForms validator: the date lies within the centre's calendar."""
    if field.data is not None and not within_calendar(field.data):
        raise ValidationError(calendar_message())


def check_id_range(form, field):
    """WTForms validator: a whole number the database can store."""
    if field.data is not None and not -MAX_ID <= field.data <= MAX_ID:
        raise ValidationError(_("This number is too large."))


def bounds_for(field):
    """The validators every form adds to a field of this kind (BaseForm binds them)."""
    if isinstance(field, DateField):
        return (check_calendar,)
    if isinstance(field, IntegerField):
        return (check_id_range,)
    return ()


def init_app(app):
    """Read every request through these rules; before the blueprints, whose routes use the converters."""
    app.request_class = CleanRequest
    app.url_map.converters.update(int=IdConverter, default=SegmentConverter, string=SegmentConverter)
