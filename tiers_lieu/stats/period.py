"""Read the dashboard's filters from a query string: a period and optional topic, facilitator, place.

Pure: no Flask, no database. Unknown or malformed values become translated messages, never errors.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from ..core.inputs import EARLIEST_DATE
from .queries import Filters

PERIODS = [
    ("this_month", _l("This month")),
    ("last_month", _l("Last month")),
    ("this_year", _l("This year")),
    ("last_year", _l("Last year")),
    ("custom", _l("Custom dates")),
]
DEFAULT_PERIOD = "this_month"
EARLIEST = EARLIEST_DATE
LONGEST = timedelta(days=366 * 10)


@dataclass
class Request:
    """The filters asked for, with the messages explaining what could not be used."""

    period: str
    filters: Filters
    errors: list  # translated messages
    start_text: str = ""
    end_text: str = ""

    def query_args(self):
        """The query string of these filters, for links to the report and the exports."""
        args = {"period": self.period}
        if self.period == "custom":
            args.update(start=self.filters.start.isoformat(), end=self.filters.end.isoformat())
        for name in ("topic", "facilitator", "place"):
            value = getattr(self.filters, {"topic": "topic_id", "facilitator": "facilitator_id",
                                           "place": "location_id"}[name])
            if value is not None:
                args[name] = value
        return args


def preset_range(period, today):
    if period == "this_month":
        return today.replace(day=1), today
    if period == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if period == "this_year":
        return today.replace(month=1, day=1), today
    if period == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    raise ValueError(period)


def _id(raw, known, message, errors):
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value not in known:
        errors.append(message)
        return None
    return value


def parse(args, today, topics, facilitators, places):
    """A `Request` from query arguments; `topics`, `facilitators`, `places` are the known ids."""
    errors = []
    period = args.get("period") or DEFAULT_PERIOD
    if period not in dict(PERIODS):
        errors.append(_l("This period is unknown: the current month is shown."))
        period = DEFAULT_PERIOD
    start_text, end_text = (args.get("start") or "").strip(), (args.get("end") or "").strip()
    if period == "custom":
        start, end = _dates(start_text, end_text, today, errors)
        if start is None:
            period = DEFAULT_PERIOD
    if period != "custom":
        start, end = preset_range(period, today)
    filters = Filters(
        start=start, end=end,
        topic_id=_id(args.get("topic"), topics, _l("This topic is unknown: every topic is shown."), errors),
        facilitator_id=_id(args.get("facilitator"), facilitators,
                           _l("This facilitator is unknown: every facilitator is shown."), errors),
        location_id=_id(args.get("place"), places, _l("This place is unknown: every place is shown."), errors),
    )
    return Request(period, filters, errors, start_text or start.isoformat(), end_text or end.isoformat())


def _dates(start_text, end_text, today, errors):
    try:
        start, end = date.fromisoformat(start_text), date.fromisoformat(end_text)
    except ValueError:
        errors.append(_l("Give both dates of the custom period as day, month and year: the current month "
                         "is shown."))
        return None, None
    if start > end:
        errors.append(_l("The custom period ends before it starts: the current month is shown."))
        return None, None
    if start < EARLIEST or end > today + timedelta(days=366) or end - start > LONGEST:
        errors.append(_l("The custom period must lie between the year 2000 and next year, and last at most "
                         "ten years: the current month is shown."))
        return None, None
    return start, end
