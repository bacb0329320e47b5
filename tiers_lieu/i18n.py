"""Language and time zone of each request, and what keeps mixed scripts readable.

A page is shown in one of the languages offered on it: the residents' (RESIDENT_LANGUAGES) on
their pages, the staff's (STAFF_LANGUAGES) on the staff's. Among those, the resident's or staff
member's explicit choice wins (`?lang=ar`, remembered in a cookie), then a logged-in staff
member's preference, then the browser's Accept-Language header.
"""
from datetime import date
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from flask import current_app, has_request_context, request, url_for
from flask_babel import format_date, format_datetime, get_locale, gettext
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.routing import BuildError

from .core.links import url_with_query
from .extensions import babel

ONE_YEAR = 365 * 24 * 3600
# The staff's screens: shown in the staff's languages (STAFF_LANGUAGES); every other page, the
# residents' pages, kiosk and waiting-room display included, in the residents' (RESIDENT_LANGUAGES).
STAFF_BLUEPRINTS = frozenset({"desk", "admin", "stats", "accounts"})


def language_names(codes):
    """Each language named in itself, for a switch or a choice: {"ar": "العربية", "tr": "Türkçe"…}."""
    return {code: _autonym(code) for code in codes}


@lru_cache
def _autonym(code):
    return upper_first(Locale.parse(code).get_display_name(code))


@lru_cache
def text_direction(code):
    """"rtl" for a language written right to left (Arabic), else "ltr", from Babel's locale data."""
    return "rtl" if Locale.parse(code).character_order == "right-to-left" else "ltr"


def page_languages():
    """The languages this request's page may be shown in."""
    config = current_app.config
    if request.blueprint in STAFF_BLUEPRINTS:
        return config["STAFF_LANGUAGES"]
    return config["RESIDENT_LANGUAGES"]


def requested_language():
    """The language asked for in the query string, if this page is offered in it."""
    code = request.args.get("lang", "").strip().lower()
    return code if code in page_languages() else None


def select_locale():
    if not has_request_context():  # the command line speaks the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = page_languages()
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
    names = language_names(page_languages())
    for code, name in names.items():
        if code == current:
            continue
        try:
            href = url_with_query(endpoint, [*query, ("lang", code)], **(request.view_args or {}))
        except BuildError:  # an error page without a routable endpoint: fall back to home
            href = url_for("booking.home", lang=code)
        links.append({"code": code, "name": name, "href": href})
    return links


def upper_first(text):
    """Capitalise the first letter only: "jeudi 26 novembre" → "Jeudi 26 novembre", and English
    month names keep their capital (Jinja's `capitalize` would lower them)."""
    text = str(text)
    return text[:1].upper() + text[1:]


def clock(instant):
    """The centre's wall-clock time of an instant, "09:30", in every language: 24-hour and Western
    digits. Arabic too: Arabic speakers in France read Western digits on every letter, bus and
    appointment they get, and Babel's Arabic time ("9:30 ص") uses a 12-hour clock foreign there.

    Babel's `timeformat("HH:mm")` gives the same text but costs about 0.1 ms a call, which adds
    up to most of a page listing a week of slots (two times each).
    """
    if instant is None:
        return ""
    local = instant.astimezone(_zone(current_app.config["TIMEZONE"]))
    return f"{local.hour:02d}:{local.minute:02d}"


def day_at_time(instant):
    """"lundi 7 décembre à 09:30", "7 Aralık Pazartesi, saat 09:30": an appointment in a sentence of
    plain text (messages), the day spelled by Babel in the page's language and the time as the
    centre's 24-hour clock, isolated left to right in a right-to-left language."""
    local = instant.astimezone(_zone(current_app.config["TIMEZONE"]))
    return gettext("%(day)s at %(time)s", day=format_date(local.date(), "EEEE d MMMM"),
                   time=ltr_text(clock(instant)))


def day_at_time_html(instant):
    """`day_at_time` for a page: the time in <bdi dir="ltr">."""
    local = instant.astimezone(_zone(current_app.config["TIMEZONE"]))
    return Markup(escape(gettext("%(day)s at %(time)s"))) % {
        "day": format_date(local.date(), "EEEE d MMMM"), "time": ltr(clock(instant))}


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
    shown to staff; the language switch names each language in itself (`language_names`)."""
    if not code:
        return ""
    try:
        return Locale.parse(code).get_display_name(get_locale())
    except (ValueError, UnknownLocaleError):
        return code


# Bidi isolation (issue 14). In a right-to-left paragraph the Unicode bidi algorithm treats digits
# as right-to-left for the spaces and dashes between them, so "06 12 34 56 78" would show as
# "78 56 34 12 06", and a Latin name next to Arabic words can pull the punctuation around it.
# Isolated, each keeps its own direction whatever the text around it.
LTR_ISOLATE, FIRST_STRONG_ISOLATE, POP_ISOLATE = "\u2066", "\u2068", "\u2069"


def ltr(value):
    """A code, a time, a phone number or an e-mail address, read left to right in any page."""
    return Markup('<bdi dir="ltr">%s</bdi>') % value


def isolated(value):
    """Something typed by a person (a first name, a note) in whatever script, isolated from the
    page's text: its own first letter decides its direction."""
    return Markup("<bdi>%s</bdi>") % value


def in_its_language(topic, field="name"):
    """A topic's name or description as the centre wrote it, marked with its language when that is
    not the page's (an Arabic page shows the French name of a topic nobody translated): a screen
    reader then reads it with a French voice, and `read aloud` too."""
    text = topic.localised(field)
    language = topic.language_of(field)
    if language == get_locale().language:
        return text
    return Markup('<bdi lang="%s">%s</bdi>') % (language, text)


def centre_words(value):
    """The centre's own words (its name, a place) inside a sentence, isolated and marked with the
    centre's language."""
    return Markup('<bdi lang="%s">%s</bdi>') % (current_app.config["BABEL_DEFAULT_LOCALE"], value)


def ltr_text(value):
    """`ltr` for plain text (SMS, e-mails, calendar files), where only the control characters
    exist; added in right-to-left languages only, so that a French SMS keeps the GSM alphabet."""
    if text_direction(str(get_locale())) != "rtl":
        return value
    return f"{LTR_ISOLATE}{value}{POP_ISOLATE}"


def isolated_text(value):
    """`isolated` for plain text, in right-to-left languages."""
    if text_direction(str(get_locale())) != "rtl":
        return value
    return f"{FIRST_STRONG_ISOLATE}{value}{POP_ISOLATE}"


def init_app(app):
    _check_languages(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters["upper_first"] = upper_first
    app.jinja_env.filters["clock"] = clock
    app.jinja_env.filters["day_at_time"] = day_at_time_html
    app.jinja_env.filters["language_name"] = language_name
    app.jinja_env.filters["dateformat"] = dateformat
    app.jinja_env.filters["ltr"] = ltr
    app.jinja_env.filters["bdi"] = isolated
    app.jinja_env.filters["in_its_language"] = in_its_language
    app.jinja_env.filters["centre_words"] = centre_words
    app.jinja_env.filters["ltr_text"] = ltr_text
    app.jinja_env.filters["bdi_text"] = isolated_text
    for name, pattern in DATE_FORMATS.items():
        app.jinja_env.filters[name] = date_filter(pattern)
    app.after_request(_remember_requested_language)
    # The centre's own words (its name, address, places, topics nobody translated) are written in
    # its default language: pages mark them so (`lang`), for screen readers and reading aloud.
    app.jinja_env.globals["centre_language"] = app.config["BABEL_DEFAULT_LOCALE"]

    @app.context_processor
    def inject_language():
        return {"language_links": language_links, "current_language": lambda: str(get_locale()),
                "text_direction": lambda: text_direction(str(get_locale())),
                "resident_page": lambda: request.blueprint not in STAFF_BLUEPRINTS}


def _check_languages(app):
    """Every language offered has its catalogue, and Babel knows it: refuse to start otherwise,
    rather than show a page in a language it cannot speak."""
    config = app.config
    offered = (*config["RESIDENT_LANGUAGES"], *config["STAFF_LANGUAGES"])
    default = config["BABEL_DEFAULT_LOCALE"]
    if default not in config["RESIDENT_LANGUAGES"] or default not in config["STAFF_LANGUAGES"]:
        raise RuntimeError(f"RESIDENT_LANGUAGES and STAFF_LANGUAGES must both include {default}, the default")
    directory = Path(config["BABEL_TRANSLATION_DIRECTORIES"])
    for code in offered:
        try:
            Locale.parse(code)
        except (ValueError, UnknownLocaleError):
            raise RuntimeError(f"{code!r} in RESIDENT_LANGUAGES or STAFF_LANGUAGES is not a language Babel knows")
        if not (directory / code / "LC_MESSAGES" / "messages.po").exists():
            raise RuntimeError(f"no catalogue for {code!r}: run `make i18n LANGUAGE={code}` (README, \"Adding a language\")")
    # Every language any page is offered in, for what accepts any of them (a message's language).
    config["LANGUAGES"] = tuple(dict.fromkeys(offered))
