"""Issue 11, "Prove it": every page of the demo, in French and English, on a 360 px phone and a
1280 px desktop, shows whole words, never scrolls sideways, and passes axe-core.

Pages come from the app's url_map: a GET route added later is either visited here or skipped with
its reason, or this test fails. They are rendered from the same templates whatever the database,
so the test runs on SQLite only (the database tests cover PostgreSQL).
"""
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import current_app

from tiers_lieu.booking.availability import Window, booking_rules, free_slots
from tiers_lieu.booking.codes import hash_token, token_for
from tiers_lieu.booking.models import (Booking, BookingStatus, CallbackRequest, OpeningRule, Procedure, SeatOffer,
                                       Slot, Topic)
from tiers_lieu.demo import DEMO_PASSWORD, load_demo
from tiers_lieu.desk.models import HelpSession, Need, Resident
from tiers_lieu.accounts.models import PasswordReset, Role, User
from tiers_lieu.accounts.recovery import hash_token as hash_reset_token
from tiers_lieu.extensions import db

from .browser_helpers import WIDEST, ZOOMED_PHONE, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]

# Not pages: files, JSON, fragments and redirections, each with why it is not checked here.
NOT_PAGES = {
    "static": "files",
    "booking.topic_colours": "a stylesheet",
    "booking.calendar_file": "a calendar file",
    "api.topics": "JSON for partners", "api.slots": "JSON for partners", "api.openapi": "JSON for partners",
    "lobby.display_json": "JSON for the waiting-room screen's script",
    "desk.day_fragment": "a piece of the desk's page, fetched by its script (its content is checked on /desk/)",
    "core.healthz": "plain text for monitoring", "ops.jobs": "JSON for the staff and a monitor", "core.security_txt": "plain text (RFC 9116)",
    "stats.export_csv": "a download", "stats.export_xlsx": "a download",
    "stats.sessions_csv": "a download", "stats.sessions_xlsx": "a download",
    "opendata.lieux_csv": "open data for the national map (tests/test_opendata_files.py)",
    "opendata.lieux_json": "open data for the national map", "opendata.structures": "open data for data·inclusion",
    "opendata.services": "open data for data·inclusion",
    "accounts.login_two_step": "opens only just after a right password, on an account with two-step verification "
                               "(tests/test_browser_account_recovery.py checks it in both languages)",
}

# A word's pieces on two lines: the second piece starts below the first one's bottom. A compound
# word may end a line at its own hyphen ("rendez-" / "vous"), as French typesetting allows; a
# word cut anywhere else ("Mercred" / "i"), or a number ("2026-" / "01", "09:00–" / "12:00"), fails.
BROKEN_WORDS = """() => {
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const element = node.parentElement;
    if (!element || !node.data.trim()) continue;
    if (element.closest('script, style, noscript, template, option, svg, .visually-hidden, [hidden]')) continue;
    if (!element.getClientRects().length || getComputedStyle(element).visibility === 'hidden') continue;
    for (const match of node.data.matchAll(/\\S+?(?:(?<=\\p{L}-)(?=\\p{L})|(?=\\s)|$)/gu)) {
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const rects = [...range.getClientRects()].filter(rect => rect.width > 0 && rect.height > 0);
      if (rects.some(rect => rect.top >= rects[0].bottom - 2)) {
        broken.push(`"${match[0]}" in <${element.tagName.toLowerCase()} class="${element.className}">`);
      }
    }
  }
  return broken;
}"""

# Landmarks of one kind that share a name: a screen reader's list of regions cannot tell them apart.
SHARED_LANDMARK_NAMES = """() => {
  const kind = element => element.getAttribute('role') ||
    ({NAV: 'navigation', SECTION: 'region', ASIDE: 'complementary', FORM: 'form', MAIN: 'main'})[element.tagName];
  const name = element => (element.getAttribute('aria-label') ||
    (element.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
      .map(id => (document.getElementById(id) || {}).textContent || '').join(' ')).trim().replace(/\\s+/g, ' ');
  const seen = new Map(), shared = [];
  for (const element of document.querySelectorAll('nav, section, aside, form, main, [role=region], [role=navigation]')) {
    if (!element.getClientRects().length) continue;
    const label = name(element);
    if ((element.tagName === 'SECTION' || element.tagName === 'FORM') && !label && !element.getAttribute('role')) continue;
    const key = kind(element) + ': ' + label;
    if (seen.has(key)) shared.push(key); else seen.set(key, true);
  }
  return shared;
}"""

# A heading more than one level below the one before it (h1 then h3): the outline skips a level.
SKIPPED_HEADINGS = """() => {
  const levels = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
    .filter(heading => heading.getClientRects().length).map(heading => [Number(heading.tagName[1]), heading.textContent.trim()]);
  return levels.filter((level, index) => index > 0 && level[0] > levels[index - 1][0] + 1)
    .map(level => `h${level[0]} "${level[1].slice(0, 40)}"`);
}"""

SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" if os.environ.get("SCREENSHOTS") else None
WIDTHS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}
TITLE_SEPARATOR = " · "


def first(statement):
    return db.session.execute(statement.limit(1)).scalars().first()


# What the centre holds about a resident is shown in the resident's language, whatever the staff's.
IN_THE_RESIDENTS_LANGUAGE = {"desk.resident_data"}


def demo_pages():
    """(endpoint, path, anonymous) for every page, with ids taken from the demo."""
    now = datetime.now(timezone.utc)
    coming = first(db.select(Booking).join(Slot).where(Booking.status == BookingStatus.BOOKED,
                                                       Slot.starts_at > now).order_by(Slot.starts_at))
    topic = first(db.select(Topic).where(Topic.active.is_(True)).order_by(Topic.position))
    # The first slot the topic's page offers: free, for this topic, beyond the minimum notice.
    free_slot = free_slots(db.session, Window.for_rules(booking_rules(db.session), now), topic.id, limit=1)[0]
    token = token_for(coming.request_key)
    over = first(db.select(Booking).join(Slot).where(Booking.request_key.is_not(None), Slot.ends_at < now)
                 .order_by(Slot.starts_at.desc()))
    resident = first(db.select(Resident).order_by(Resident.id))
    callback = first(db.select(CallbackRequest).order_by(CallbackRequest.id))
    session = first(db.select(HelpSession).order_by(HelpSession.id.desc()))
    rule = first(db.select(OpeningRule).order_by(OpeningRule.id))
    coordinator = first(db.select(User).where(User.email == "coordinator@example.org"))
    own_rule = first(db.select(OpeningRule).where(OpeningRule.facilitator_id == coordinator.id))
    if own_rule is None:  # the desk's own-hours page needs one of the coordinator's own (inactive: no slot)
        own_rule = OpeningRule(weekday=5, start_time=rule.start_time, end_time=rule.end_time,
                               slot_length=rule.slot_length, facilitator_id=coordinator.id,
                               location_id=rule.location_id, valid_from=rule.valid_from, active=False)
        db.session.add(own_rule)
        db.session.commit()
    # A seat offered to the waiting list (the demo sends none): its link holds the token.
    offer_token = "every-page-test-offer-token-0123456789abcdef"
    if first(db.select(SeatOffer).where(SeatOffer.token_hash == hash_token(offer_token))) is None:
        db.session.add(SeatOffer(request_id=callback.id, slot_id=free_slot.id, token_hash=hash_token(offer_token)))
        db.session.commit()
    user = first(db.select(User).where(User.role == Role.FACILITATOR))
    # A password-reset link e-mailed to a facilitator: its page opens with the token.
    reset_token = "every-page-test-reset-token-0123456789abcdef"
    if first(db.select(PasswordReset).where(PasswordReset.token_hash == hash_reset_token(reset_token))) is None:
        db.session.add(PasswordReset(user_id=user.id, token_hash=hash_reset_token(reset_token),
                                     expires_at=now + timedelta(hours=2)))
        db.session.commit()
    need = first(db.select(Need).order_by(Need.id))
    procedure = first(db.select(Procedure).order_by(Procedure.id))
    public = [
        ("accounts.login", "/login"),
        ("accounts.forgot_password", "/login/forgot"),
        ("accounts.reset_password", f"/login/reset/{reset_token}"),
        ("booking.home", "/"),
        ("booking.topic", f"/book/{topic.slug}"),
        ("booking.callback", f"/book/{topic.slug}/callback"),
        ("booking.book", f"/book/slot/{free_slot.id}?topic={topic.slug}"),
        ("booking.lookup", "/booking"),
        ("booking.manage", f"/booking/{token}"),
        ("booking.cancel", f"/booking/{token}/cancel"),
        ("booking.move", f"/booking/{token}/move"),
        ("booking.erase", f"/booking/{token_for(over.request_key)}/erase"),
        ("booking.erased", "/booking/erased"),
        ("booking.offer", f"/offer/{offer_token}"),
        ("lobby.kiosk", "/kiosk"),
        ("lobby.display", "/display"),
        ("core.privacy", "/privacy"),
    ]
    staff = [
        ("desk.index", "/desk/"),
        ("desk.callbacks", "/desk/callbacks"),
        ("desk.messages", "/desk/messages"),
        ("desk.book_for", "/desk/book"),
        ("desk.book_for", f"/desk/book?callback={callback.id}"),
        ("desk.book_for", f"/desk/book?resident={resident.id}"),
        ("desk.booked_for", f"/desk/book/done/{coming.id}"),
        ("desk.booking_cancel", f"/desk/bookings/{coming.id}/cancel"),
        ("desk.hours", "/desk/hours"),
        ("desk.hours_rule_new", "/desk/hours/new"),
        ("desk.residents", "/desk/residents/"),
        ("desk.residents", f"/desk/residents/?q={resident.first_name}"),
        ("desk.new_resident", "/desk/residents/new"),
        ("desk.resident", f"/desk/residents/{resident.id}"),
        ("desk.edit_resident", f"/desk/residents/{resident.id}/edit"),
        ("desk.resident_data", f"/desk/residents/{resident.id}/data"),
        ("desk.privacy_search", "/desk/privacy"),
        ("desk.sessions", "/desk/sessions/"),
        ("desk.new_session", "/desk/sessions/new"),
        ("desk.new_session", f"/desk/sessions/new?booking={coming.id}"),
        ("desk.edit_session", f"/desk/sessions/{session.id}/edit"),
        ("stats.index", "/stats/"),
        ("stats.report", "/stats/report"),
        ("accounts.account", "/account"),
        ("accounts.change_password", "/account/password"),
        ("accounts.two_step_page", "/account/two-step"),
        ("admin.index", "/admin/"),
        ("admin.audit_log", "/admin/audit"),
        ("admin.messages", "/admin/messages"),
        ("admin.open_data", "/admin/open-data"),
        ("admin.centre", "/admin/centre"),
        ("admin.closures", "/admin/closures"),
        ("admin.hours", "/admin/hours"),
        ("admin.hours_rule_new", "/admin/hours/new"),
        ("admin.hours_rule_edit", f"/admin/hours/{rule.id}"),
        ("admin.simple_list", "/admin/lists/places"),
        ("admin.simple_list", "/admin/lists/needs"),
        ("admin.simple_list", "/admin/lists/referrals"),
        ("admin.simple_list", "/admin/lists/communes"),
        ("admin.simple_list_edit", f"/admin/lists/needs/{need.id}"),
        ("admin.edit_procedure", f"/admin/procedures/{procedure.id}"),
        ("admin.booking_rules_page", "/admin/rules"),
        ("admin.retention_page", "/admin/retention"),
        ("admin.processing_record", "/admin/privacy"),
        ("admin.topics", "/admin/topics"),
        ("admin.edit_topic", f"/admin/topics/{topic.id}"),
        ("admin.new_topic", "/admin/topics/new"),
        ("admin.users", "/admin/users"),
        ("admin.edit_user", f"/admin/users/{user.id}"),
        ("admin.new_user", "/admin/users/new"),
        ("desk.hours_rule_edit", f"/desk/hours/{own_rule.id}"),
    ]
    return [(endpoint, path, True) for endpoint, path in public] + \
           [(endpoint, path, False) for endpoint, path in staff]


def test_every_get_route_is_visited_or_skipped_with_a_reason(app):
    load_demo()
    visited = {endpoint for endpoint, _, _ in demo_pages()}
    get_routes = {rule.endpoint for rule in current_app.url_map.iter_rules() if "GET" in rule.methods}
    forgotten = get_routes - visited - set(NOT_PAGES)
    assert not forgotten, f"visit these pages in demo_pages() or say in NOT_PAGES why not: {sorted(forgotten)}"
    assert not (visited & set(NOT_PAGES))


def log_in(page, base):
    page.goto(f"{base}/login")
    page.fill("#email", "coordinator@example.org")
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/desk/"))


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_page_reads_whole_words_fits_and_is_accessible(app, live_server, browser, lang, width):
    load_demo()
    pages = demo_pages()
    context = browser.new_context(viewport=WIDTHS[width], locale=f"{lang}-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems, titles = [], {}
    page.on("response", lambda response: response.status >= 400 and problems.append(
        f"{response.url}: status {response.status} (asked by {page.url})"))
    try:
        page.goto(f"{live_server}/?lang={lang}")  # the language switch: remembered by the cookie
        logged_in = False
        for endpoint, path, anonymous in pages:
            if not anonymous and not logged_in:
                log_in(page, live_server)
                logged_in = True
            response = page.goto(live_server + path)
            page.wait_for_load_state("load")
            if response.status >= 400:
                continue  # reported by the listener
            if endpoint in IN_THE_RESIDENTS_LANGUAGE:
                if page.evaluate("document.documentElement.lang") not in ("fr", "en"):
                    problems.append(f"{path}: in no language of the app")
            elif page.evaluate("document.documentElement.lang") != lang:
                problems.append(f"{path}: not in {lang}")
            sideways = page.evaluate(SIDEWAYS)
            if sideways > 0:
                problems.append(f"{path}: scrolls sideways by {sideways} px")
            if width == "phone":  # and at 200 % zoom (WCAG 1.4.10 reflow), where words may break
                page.set_viewport_size(ZOOMED_PHONE)
                if (zoomed := page.evaluate(SIDEWAYS)) > 0:
                    problems.append(f"{path}: scrolls sideways by {zoomed} px at 200 % zoom: {page.evaluate(WIDEST)}")
                page.set_viewport_size(WIDTHS[width])
            for word in page.evaluate(BROKEN_WORDS):
                problems.append(f"{path}: word broken across lines: {word}")
            for heading in page.evaluate(SKIPPED_HEADINGS):
                problems.append(f"{path}: heading level skipped before {heading}")
            for landmark in page.evaluate(SHARED_LANDMARK_NAMES):
                problems.append(f"{path}: two landmarks named {landmark!r}")
            titles.setdefault(page.title().split(TITLE_SEPARATOR)[0], set()).add(endpoint)
            if width == "phone" or lang == "en":  # axe-core on each page in each language
                assert_accessible(page)
            if SCREENSHOTS and not anonymous:  # to look at, as the issue asks: SCREENSHOTS=1 make test
                SCREENSHOTS.mkdir(exist_ok=True)
                name = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "home"
                page.screenshot(path=SCREENSHOTS / f"{lang}-{width}-{name}.png", full_page=True)
    finally:
        context.close()
    shared = {title: sorted(endpoints) for title, endpoints in titles.items() if len(endpoints) > 1}
    problems += [f"pages that differ share the title {title!r}: {endpoints}" for title, endpoints in shared.items()]
    assert not problems, "\n".join(problems)
