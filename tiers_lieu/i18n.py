"""Language and time zone of each request.

The resident's or staff member's explicit choice wins (`?lang=en`, remembered in a cookie),
then a logged-in staff member's preference, then the browser's Accept-Language header.
"""
from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from flask import current_app, has_request_context, request, url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user
from werkzeug.routing import BuildError

from .core.links import url_with_query
from .extensions import babel

LANGUAGE_NAMES = {"fr": "Français", "en": "English"}
ONE_YEAR = 365 * 24 * 3600


def requested_language():
    """The supported language asked for in the query string, if any."""
    code = request.args.get("lang", "").strip().lower()
    return code if code in current_app.config["LANGUAGES"] else None


def select_locale():
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # the command line speaks the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    explicit = requested_language() or request.cookies.get(current_app.config["LANGUAGE_COOKIE"])
    if explicit in languages:
        return explicit
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone():
    return current_app.config["TIMEZONE"]


def remember_language(response, code):
    response.set_cookie(
        current_app.config["LANGUAGE_COOKIE"],
        code,
        max_age=ONE_YEAR,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


def _remember_requested_language(response):
    code = requested_language()
    if code and request.cookies.get(current_app.config["LANGUAGE_COOKIE"]) != code:
        remember_language(response, code)
    return response


def language_links():
    """Links to this same page in each other language, for the switch in the header."""
    current = str(get_locale())
    query = [(name, value) for name, value in request.args.items(multi=True) if name != "lang"]
    endpoint = request.endpoint or "booking.home"
    links = []
    for code in current_app.config["LANGUAGES"]:
        if code == current:
            continue
        try:
            href = url_with_query(endpoint, [*query, ("lang", code)], **(request.view_args or {}))
        except BuildError:  # an error page without a routable endpoint: fall back to home
            href = url_for("booking.home", lang=code)
        links.append({"code": code, "name": LANGUAGE_NAMES[code], "href": href})
    return links


def upper_first(text):
    """Capitalise the first letter only: "jeudi 26 novembre" → "Jeudi 26 novembre", and English
    month names keep their capital (Jinja's `capitalize` would lower them)."""
    text = str(text)
    return text[:1].upper() + text[1:]


def clock(instant):
    """The centre's wall-clock time of an instant, "09:30": the same in French and English.

    Babel's `timeformat("HH:mm")` gives the same text but costs about 0.1 ms a call, which adds
    up to most of a page listing a week of slots (two times each).
    """
    if instant is None:
        return ""
    local = instant.astimezone(_zone(current_app.config["TIMEZONE"]))
    return f"{local.hour:02d}:{local.minute:02d}"


@lru_cache
def _zone(name):
    return ZoneInfo(name)


def dateformat(value=None, format=None):
    """Flask-Babel's `dateformat` filter, remembered for plain dates: a day's name in a language
    never changes, and Babel takes about 0.1 ms to spell it (a week of slots has seven headings)."""
    if type(value) is date:
        return _spelled_day(value, format, str(get_locale()))
    return format_date(value, format)


@lru_cache(maxsize=4096)
def _spelled_day(day, format, locale):
    return format_date(day, format)  # `locale` is the request's: it keys the cache


# The staff pages write dates one way per use, in the page's language (issue 11 found three
# formats side by side, and Babel's "short" one gave "12/2/26, 2:30 PM" in English).
DATE_FORMATS = {
    "long_date": "EEEE d MMMM y",        # a day in a heading: "mercredi 2 décembre 2026"
    "short_date": "d MMM y",             # a day in a list or a table: "2 déc. 2026"
    "moment": "d MMM y, HH:mm",          # when something was done: "2 déc. 2026, 14:05"
    "appointment": "EEEE d MMMM, HH:mm",  # a slot to come: "mercredi 2 décembre, 14:30"
}


def date_filter(pattern):
    def render(value):
        if value is None:
            return ""
        if type(value) is date:
            return dateformat(value, pattern)
        return format_datetime(value, pattern)
    return render


def language_name(code):
    """A language's name in the page's language ("anglais" on a French page), for a preference
    shown to staff; the language switch names each language in itself (LANGUAGE_NAMES)."""
    if not code:
        return ""
    try:
        return Locale.parse(code).get_display_name(get_locale())
    except (ValueError, UnknownLocaleError):
        return code


def init_app(app):
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters["upper_first"] = upper_first
    app.jinja_env.filters["clock"] = clock
    app.jinja_env.filters["language_name"] = language_name
    app.jinja_env.filters["dateformat"] = dateformat
    for name, pattern in DATE_FORMATS.items():
        app.jinja_env.filters[name] = date_filter(pattern)
    app.after_request(_remember_requested_language)

    @app.context_processor
    def inject_language():
        return {"language_links": language_links, "current_language": lambda: str(get_locale())}
