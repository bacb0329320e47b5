"""French by default, English complete, the choice remembered; catalogues in sync with the code."""
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from tiers_lieu.accounts.models import Role

from .conftest import submit

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(ROOT.glob("translations/*/LC_MESSAGES/messages.po"))
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def test_french_is_the_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in page
    assert "Aide gratuite au numérique" in page


def test_the_browser_language_is_followed(client):
    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page
    assert "Help with digital tools, free of charge" in page


def test_an_unsupported_browser_language_falls_back_to_french(client):
    page = client.get("/", headers={"Accept-Language": "de,it;q=0.8"}).get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in page


def test_an_explicit_choice_wins_and_is_remembered(client):
    response = client.get("/?lang=en", headers={"Accept-Language": "fr"})
    assert '<html lang="en" dir="ltr">' in response.get_data(as_text=True)
    assert any(c.startswith("lang=en") for c in response.headers.getlist("Set-Cookie"))
    page = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page and "Staff login" in page


def test_an_unknown_language_code_is_ignored(client):
    response = client.get("/?lang=xx")
    assert response.status_code == 200
    assert '<html lang="fr" dir="ltr">' in response.get_data(as_text=True)
    assert not response.headers.getlist("Set-Cookie") or all(
        not c.startswith("lang=") for c in response.headers.getlist("Set-Cookie"))


def test_every_page_offers_the_other_language_for_the_same_page(client):
    page = client.get("/login?next=/desk/").get_data(as_text=True)
    assert 'href="/login?next=/desk/&amp;lang=en"' in page
    page = client.get("/login?lang=en").get_data(as_text=True)
    assert 'href="/login?lang=fr"' in page


def test_dates_are_written_in_the_language_and_the_centre_time_zone(app, client, login_as):
    login_as()
    from flask_babel import format_datetime
    from datetime import datetime, timezone

    with app.test_request_context("/?lang=en"):
        assert format_datetime(datetime(2026, 7, 1, 22, 30, tzinfo=timezone.utc), "HH:mm") == "00:30"
    assert "2026" in client.get("/desk/?lang=en").get_data(as_text=True)


@pytest.mark.parametrize("instant, shown", [
    ("2026-03-29T00:59:00+00:00", "01:59"),  # the spring change: 2:00 becomes 3:00 in Paris
    ("2026-03-29T01:00:00+00:00", "03:00"),
    ("2026-10-25T00:30:00+00:00", "02:30"),  # the autumn change: 2:00–3:00 is lived twice
    ("2026-10-25T01:30:00+00:00", "02:30"),
    ("2026-07-01T22:30:00+00:00", "00:30"),
])
def test_slot_times_are_the_centres_wall_clock_in_both_languages(app, instant, shown):
    from datetime import datetime

    from flask_babel import format_time
    from tiers_lieu.i18n import clock

    moment = datetime.fromisoformat(instant)
    for language in ("fr", "en"):
        # A fresh app context for each request, as on a server: Flask-Babel keeps the locale in `g`.
        with app.app_context(), app.test_request_context(f"/?lang={language}"):
            assert clock(moment) == shown == format_time(moment, "HH:mm")


def test_day_names_follow_the_language_of_each_request(app):
    from datetime import date

    from tiers_lieu.i18n import dateformat

    day = date(2026, 12, 3)
    for _ in range(2):  # the second time from memory
        with app.app_context(), app.test_request_context("/?lang=fr"):
            assert dateformat(day, "EEEE d MMMM") == "jeudi 3 décembre"
        with app.app_context(), app.test_request_context("/?lang=en"):
            assert dateformat(day, "EEEE d MMMM") == "Thursday 3 December"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_catalogue_is_complete(path):
    with path.open("rb") as handle:
        catalogue = read_po(handle)
    untranslated = [m.id for m in catalogue if m.id and not (all(m.string) if m.pluralizable else m.string)]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not untranslated, f"untranslated in {path}: {untranslated}"
    assert not fuzzy, f"fuzzy in {path}: {fuzzy}"


FRENCH_SPACE_BEFORE = re.compile(r"\S[ \u00a0\u202f][:;?!](?=\s|$)")


def test_english_has_no_french_punctuation_and_french_keeps_its_own():
    """Issue 11: English pages showed "Phone : …". English puts no space before : ; ? ! and French
    does; a label joined to its text is joined through a translatable pattern, never in code."""
    with (ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        english = [m for m in read_po(handle) if m.id]
    texts = [text for m in english for text in ((m.string,) if isinstance(m.string, str) else m.string)]
    texts += [m.id if isinstance(m.id, str) else m.id[0] for m in english]
    offending = sorted({text for text in texts if FRENCH_SPACE_BEFORE.search(text)})
    assert not offending, f"French spacing in English: {offending}"
    with (ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        french = {m.id: m.string for m in read_po(handle) if m.id}
    assert french["%(label)s: %(value)s"] == "%(label)s : %(value)s"
    assert french["%(label)s:"] == "%(label)s :"


def test_footer_and_error_summary_follow_the_language(client):
    english = client.get("/login?lang=en").page
    assert "Phone: <a" in english and "Phone : " not in english
    french = client.get("/login?lang=fr").page
    assert "Téléphone : <a" in french
    page = submit(client, "/login?lang=en", {"email": "", "password": ""}).page
    assert "E-mail address: This field is required." in page
    assert " : " not in page.split("<main", 1)[1].split("</main>", 1)[0]


def test_catalogues_hold_every_string_of_the_code():
    """A string added to the code but not yet extracted would show in English to French readers."""
    with (ROOT / "translations" / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    in_code = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS,
                                        directory_filter=lambda name: not name.startswith(".") and name != "__pycache__")
    }
    assert CATALOGUES, "no catalogue found"
    for path in CATALOGUES:
        with path.open("rb") as handle:
            known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
        missing = sorted(in_code - known)
        assert not missing, f"run `make i18n` and translate; missing from {path}: {missing}"


@pytest.mark.parametrize("query", ["_external=1", "_scheme=javascript", "user_id=3", "_anchor=x&lang=en",
                                   "next=%00%ff", "lang=%F0%9F%98%80"])
def test_odd_query_strings_never_break_the_language_switch(client, login_as, query):
    user = login_as(Role.COORDINATOR)
    for path in ("/", f"/admin/users/{user.id}", "/nowhere"):
        response = client.get(f"{path}?{query}")
        assert response.status_code in (200, 404)
        assert "javascript:" not in response.get_data(as_text=True)


STAFF_TEMPLATES = sorted([*ROOT.glob("templates/desk/**/*.html"), *ROOT.glob("templates/admin/**/*.html"),
                          *ROOT.glob("templates/stats/**/*.html"), *ROOT.glob("templates/accounts/**/*.html")])
# A Babel pattern written in a template: a day or an instant shown in a format of its own.
AD_HOC_FORMAT = re.compile(r"\|(?:date|datetime)format\((?!'yyyy-MM-dd'\))")


def test_staff_pages_write_dates_through_the_named_formats():
    """Issue 11: three date formats coexisted on staff pages. Each use has one named format
    (i18n.DATE_FORMATS); a link parameter may still carry an ISO date."""
    ad_hoc = [f"{path.relative_to(ROOT)}: {line.strip()}" for path in STAFF_TEMPLATES
              for line in path.read_text(encoding="utf-8").splitlines() if AD_HOC_FORMAT.search(line)]
    assert not ad_hoc, ad_hoc


@pytest.mark.parametrize("lang, expected", [
    ("fr", {"long_date": "mercredi 2 décembre 2026", "short_date": "2 déc. 2026",
            "moment": "2 déc. 2026, 14:05", "appointment": "mercredi 2 décembre, 14:05"}),
    ("en", {"long_date": "Wednesday 2 December 2026", "short_date": "2 Dec 2026",
            "moment": "2 Dec 2026, 14:05", "appointment": "Wednesday 2 December, 14:05"}),
])
def test_the_named_date_formats_in_each_language(app, lang, expected):
    from datetime import date, datetime, timezone

    from flask import render_template_string

    instant = datetime(2026, 12, 2, 13, 5, tzinfo=timezone.utc)  # 14:05 in Valence
    with app.test_request_context(f"/?lang={lang}"):
        for name, text in expected.items():
            value = date(2026, 12, 2) if name.endswith("date") else instant
            assert render_template_string(f"{{{{ value|{name} }}}}", value=value) == text
        assert render_template_string("{{ None|moment }}") == ""


@pytest.mark.parametrize("lang, names", [("fr", ("français", "anglais")), ("en", ("French", "English"))])
def test_a_language_preference_is_shown_by_its_name(app, lang, names):
    """Issue 11: preferences showed "FR"."""
    from flask import render_template_string

    with app.test_request_context(f"/?lang={lang}"):
        shown = tuple(render_template_string("{{ code|language_name }}", code=code) for code in ("fr", "en"))
        assert shown == names
        assert render_template_string("{{ 'xx-!!'|language_name }}") == "xx-!!"


TITLE = re.compile(r"<title>(.*?) · ", re.S)


@pytest.mark.parametrize("lang, plain, one, two", [
    ("fr", "Connexion de l'équipe", "Erreur : Connexion de l'équipe", "2 erreurs : Connexion de l'équipe"),
    ("en", "Staff login", "Error: Staff login", "2 errors: Staff login"),
])
def test_a_page_with_form_errors_says_so_first_in_its_title(client, make_user, lang, plain, one, two):
    """Issue 11: the title is the first thing a screen reader reads (DSFR, RGAA 11.10)."""
    assert TITLE.search(client.get(f"/login?lang={lang}").page).group(1) == plain
    both_missing = submit(client, f"/login?lang={lang}", {"email": "", "password": ""}).page
    assert TITLE.search(both_missing).group(1) == two
    user = make_user()
    wrong_password = submit(client, f"/login?lang={lang}", {"email": user.email, "password": "not it at all"}).page
    assert TITLE.search(wrong_password).group(1) == one  # an error the view added after validating


def test_french_never_puts_a_name_after_an_article_or_de():
    """Issue 11: "le compte de Afiavi". Whether to elide depends on the name's first sound, which
    no code can know ("de Afiavi", "de Hélène"): the French messages are worded so it never arises."""
    with (ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        french = [m for m in read_po(handle) if m.id]
    needs_elision = re.compile(r"\b(?:de|que|le|la|du|ce|je|me|se|ne)\s+%\((?:name|first_name|resident|centre|who)\)s", re.I)
    texts = [text for m in french for text in ((m.string,) if isinstance(m.string, str) else m.string)]
    assert not [text for text in texts if needs_elision.search(text)]
