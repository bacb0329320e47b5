"""Hostile input against every form and every query-string filter, on both databases (issue 10).

Nothing here lists the forms by hand. The routes come from `app.url_map`, built with the ids of
a demo centre; each page they lead to, and each page its links lead to, is read as the role that
may see it (anonymous, facilitator, coordinator), and its <form>s give the fields to fill: a new
form or filter is covered without touching this file. The query-string names are those forms'
fields plus every name the code reads from `request.args`.

Hypothesis fills the fields with text of any kind (control characters, NUL, lone surrogates sent
as the raw bytes a client could send, very long strings), integers at the edges of 32 and 64 bits
and dates at the edges of the calendar, next to the page's own values so that the rest of the form
stays valid and the hostile value reaches deep. The properties:

- never a 5xx, and every answer carries the security headers;
- a refused request (4xx, or the form shown again with its errors) changes no row at all;
- after any request the database holds together: seats taken match the bookings holding them,
  the slots match the opening hours (a resync changes nothing), a change of the set-up or of a
  resident is in the audit trail, a booking has its message;
- valid data is still accepted afterwards, and stored as given.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from flask import abort, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, RequestRedirect

import tiers_lieu
from tiers_lieu import demo
from tiers_lieu.accounts import access
from tiers_lieu.accounts.models import Role
from tiers_lieu.accounts.service import find_by_email
from tiers_lieu.audit import AuditEvent
from tiers_lieu.core.centre import centre_timezone
from tiers_lieu.booking.opening import generate_for_horizon
from tiers_lieu.booking.codes import token_for
from tiers_lieu.booking.models import (HOLDS_SEAT, Booking, BookingRules, BookingStatus, CallbackRequest,
                                       Closure, Location, OpeningRule, Procedure, Slot, Topic)
from tiers_lieu.core.inputs import MAX_ID
from tiers_lieu.desk.residents import directory as residents
from tiers_lieu.desk.models import HelpSession, QueueTicket, Resident
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import OutboxMessage

from .factories import local_instant
from .conftest import csrf_token_from, make_app

# --- hostile values ----------------------------------------------------------------------------

ANY_CHARACTER = st.characters(exclude_categories=())  # lone surrogates included
HOSTILE_TEXT = st.one_of(
    st.text(ANY_CHARACTER, max_size=40),
    st.text(st.characters(max_codepoint=0x1f), min_size=1, max_size=5),  # control characters, NUL
    st.sampled_from(["", " ", "\x00", "a\x00b", "\ud800", "=HYPERLINK(\"x\")", "<script>", "' OR 1=1 --",
                     "../../etc/passwd", "%00", "é" * 300, "x" * 5000, "\u202e", "0" * 4400]),
)
HOSTILE_INTEGER = st.one_of(
    st.sampled_from([-1, 0, 1, MAX_ID, MAX_ID + 1, 2**32, 2**63 - 1, 2**63, 2**64, 10**30, -(2**63)]),
    st.integers(),
).map(str) | st.sampled_from(["1e400", "1.5", "NaN", "²", "١٢", "０", " 1 ", "+1", "0x10", "9" * 5000])
HOSTILE_DATE = st.one_of(
    st.sampled_from([date.min, date.max, date(1, 1, 1), date(9999, 12, 31), date(1999, 12, 31),
                     date(2101, 1, 1), date(1970, 1, 1)]).map(date.isoformat),
    st.dates().map(date.isoformat),
    st.sampled_from(["2024-02-30", "2024-13-01", "10000-01-01", "2024-1-1", "+02024-01-01", "2024-W01-1",
                     "20240101", "0000-00-00", "-0001-01-01"]),
)
HOSTILE_TIME = st.sampled_from(["24:00", "23:60", "-01:00", "99:99", "00:00", "23:59", "12:00:00", "9h"])
HOSTILE = st.one_of(HOSTILE_TEXT, HOSTILE_INTEGER, HOSTILE_DATE)

# Everything the code reads from a query string, found in the code itself.
SOURCE = Path(tiers_lieu.__file__).parent
FORM_READ = re.compile(r'request\.form\.get\(\s*"(\w+)"|request\.form\[\s*"(\w+)"')
ARG_READ = re.compile(r'(?:args|source)\.get\(\s*"(\w+)"|id_argument\(\s*"(\w+)"|request\.args\[\s*"(\w+)"')
ARG_NAMES = sorted({name for path in SOURCE.rglob("*.py") if "migrations" not in path.parts for found in ARG_READ.findall(path.read_text())
                    for name in found if name})
FORM_NAMES = sorted({name for path in SOURCE.rglob("*.py") if "migrations" not in path.parts
                     for found in FORM_READ.findall(path.read_text()) for name in found if name})
# Names that mean something to the link builders, and an argument repeated.
LINK_BUILDER_NAMES = ["endpoint", "values", "_anchor", "_external", "_scheme", "_method", "method", "lang",
                      "slug", "token", "slot_id", "filename"]

# Forms that end the session of the user filling them: they would log the test out.
NOT_FUZZED = {"accounts.logout"}


def encode(text):
    """Percent-encode as a client would send it: lone surrogates become the bytes they stand for."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def encoded_pairs(pairs):
    return "&".join(f"{encode(name)}={encode(value)}" for name, value in pairs)


# --- the pages and their forms ------------------------------------------------------------------

@dataclass
class FormField:
    name: str
    kind: str  # text, hidden, date, time, number, choice, multiple
    value: str = ""
    options: list = field(default_factory=list)


@dataclass
class Form:
    role: str
    page: str
    method: str
    action: str
    endpoint: str
    fields: dict

    def key(self):
        asked = sorted(name for name, _ in parse_qsl(urlsplit(self.action).query))
        return (self.role, self.method, self.endpoint, tuple(asked), tuple(sorted(self.fields)))


class FormReader(HTMLParser):
    """The <form>s of a page, with their fields, and the page's links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.links = [], []
        self._form = self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value if value is not None else "" for name, value in attrs}
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "option" and self._select is not None:
            self._select.options.append(attrs.get("value", ""))
        elif tag == "form":
            self._form = {"method": attrs.get("method", "get").upper(), "action": attrs.get("action"), "fields": {}}
            self.forms.append(self._form)
        elif self._form is None or not attrs.get("name"):
            return
        elif tag == "input":
            self._input(attrs)
        elif tag == "button":
            self._add(attrs["name"], "choice", option=attrs.get("value", ""))
        elif tag == "select":
            self._select = self._add(attrs["name"], "multiple" if "multiple" in attrs else "choice")
        elif tag == "textarea":
            self._textarea = self._add(attrs["name"], "text")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def _input(self, attrs):
        kind = attrs.get("type", "text")
        name, value = attrs["name"], attrs.get("value", "")
        if kind in ("radio", "checkbox"):
            entry = self._add(name, "choice" if kind == "radio" else "multiple", option=value)
            if "checked" in attrs:
                entry.value = value
        elif kind not in ("submit", "button", "reset", "file", "image"):
            self._add(name, kind if kind in ("hidden", "date", "time", "number") else "text", value=value)

    def _add(self, name, kind, value="", option=None):
        entry = self._form["fields"].setdefault(name, FormField(name, kind, value))
        if option is not None:
            entry.options.append(option)
        return entry


@dataclass
class Site:
    clients: dict
    forms: list
    pages: dict  # (role, path) -> endpoint: the GET pages each role can see
    query_names: dict  # endpoint -> names of its GET forms' fields


def route_values(world):
    """The value of each route variable, from the demo centre's rows."""
    return {
        "slot_id": world["free_slot"].id, "booking_id": world["booking"].id, "resident_id": world["resident"].id,
        "rule_id": world["rule"].id, "absence_id": world["absence"].id, "closure_id": world["closure"].id,
        "procedure_id": world["procedure"].id, "topic_id": world["topic"].id, "user_id": world["target"].id,
        "request_id": world["callback"].id, "ticket_id": world["ticket"].id, "session_id": world["help_session"].id,
        "row_id": world["location"].id, "name": "places", "slug": world["topic"].slug, "action": "served",
        "token": world["token"], "message_id": world["message"].id,
    }


def endpoint_of(app, path, method):
    adapter = app.url_map.bind("localhost")
    try:
        return adapter.match(path, method=method)[0]
    except RequestRedirect as redirect:
        return endpoint_of(app, urlsplit(redirect.new_url).path, method)
    except HTTPException:
        return None


def crawl(app, clients, world):
    """Every GET page of `app.url_map`, and the pages their links lead to, as each role that may
    see it; return what the pages show: their forms and their GET filters."""
    values = route_values(world)
    start = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static":
            start.append(app.url_map.bind("localhost").build(rule.endpoint, {name: values[name] for name in rule.arguments}))
    seen, pages, forms, query_names = set(), {}, {}, {}
    queue = [(path, 0) for path in start]
    while queue:
        path, depth = queue.pop(0)
        split = urlsplit(path)
        endpoint = endpoint_of(app, split.path, "GET")
        if endpoint is None or endpoint == "static":
            continue
        for role, client in clients.items():
            key = (role, endpoint, frozenset(name for name, _ in parse_qsl(split.query)))
            if key in seen:
                continue
            seen.add(key)
            response = client.get(path)
            body = response.get_data()  # read to the end: exports are streamed
            if response.status_code != 200:
                continue
            # The first role that may see a page fills its forms: staff see the public pages as
            # anyone does, and a coordinator the desk's as a facilitator does.
            seen.update((other, endpoint, key[2]) for other in clients)
            pages.setdefault((role, split.path), endpoint)
            if role == "facilitator":  # and their filters as a coordinator, who may ask for anyone's
                pages.setdefault(("coordinator", split.path), endpoint)
            if "html" not in response.content_type:
                continue
            reader = FormReader()
            reader.feed(body.decode())
            for raw in reader.forms:
                action = raw["action"] or path
                form_endpoint = endpoint_of(app, urlsplit(action).path, raw["method"])
                if form_endpoint is None:
                    continue
                if raw["method"] == "GET":
                    query_names.setdefault(form_endpoint, set()).update(raw["fields"])
                    continue
                form = Form(role, path, raw["method"], action, form_endpoint, raw["fields"])
                forms.setdefault(form.key(), form)
            if depth == 0:
                queue.extend((link, 1) for link in reader.links if link.startswith("/") and not link.startswith("//"))
    return list(forms.values()), pages, query_names


def demo_world(make_user):
    """The demo centre, plus what it lacks: a resident, a help session, a call-back request, an
    absence and a staff account to be edited."""
    for step in demo.DEMO_STEPS:
        if step is not demo.demo_activity:  # six months of history: slow, and read-only here
            step()
    tz = centre_timezone()
    facilitator = find_by_email("facilitator@example.org")
    coordinator = find_by_email("coordinator@example.org")
    target = make_user(name="Target of the edits")
    topic = db.session.execute(select(Topic).order_by(Topic.position)).scalars().first()
    location = db.session.execute(select(Location).order_by(Location.id)).scalars().first()
    booking = db.session.execute(select(Booking).where(Booking.booked_by_id.is_(None))
                                 .order_by(Booking.id)).scalars().first()
    resident = residents.create(db.session, {"first_name": "Awa", "last_name": "Diop", "phone": "+33612345678",
                                             "language": "fr"}, coordinator)
    help_session = HelpSession(day=datetime.now(tz).date(), duration_minutes=30, facilitator_id=facilitator.id,
                               topics=[topic])
    callback = CallbackRequest(topic_id=topic.id, first_name="Kofi", phone="+33698765432")
    absence = Closure(start_date=date.today() + timedelta(days=40), end_date=date.today() + timedelta(days=41),
                      reason="", facilitator_id=facilitator.id)
    db.session.add_all([help_session, callback, absence])
    generate_for_horizon(db.session)  # the demo opens a few slots of today by hand: the hours decide from here on
    db.session.commit()
    free_slot = db.session.execute(select(Slot).where(Slot.seats_taken == 0, Slot.starts_at > local_instant(1, 0))
                                   .order_by(Slot.starts_at)).scalars().first()
    return {
        "facilitator": facilitator, "coordinator": coordinator, "target": target, "topic": topic,
        "location": location, "booking": booking, "token": token_for(booking.request_key), "resident": resident,
        "help_session": help_session, "callback": callback, "absence": absence, "free_slot": free_slot,
        "rule": db.session.execute(select(OpeningRule).order_by(OpeningRule.id)).scalars().first(),
        "closure": db.session.execute(select(Closure).where(Closure.facilitator_id.is_(None))
                                      .order_by(Closure.id.desc())).scalars().first(),
        "procedure": db.session.execute(select(Procedure).order_by(Procedure.id)).scalars().first(),
        "ticket": db.session.execute(select(QueueTicket).order_by(QueueTicket.id)).scalars().first(),
        # The demo's failed text message: it has both buttons, send again and handled.
        "message": db.session.execute(select(OutboxMessage).where(OutboxMessage.status == "failed")
                                      .order_by(OutboxMessage.id)).scalars().first(),
    }


@pytest.fixture
def site(app, make_user):
    """The demo centre, a browser for each role, and every form and filter they can reach."""
    # Refusals are part of the properties, not the limits: counted failures would end in 429s.
    app.config.update(LOGIN_FAILURES_PER_ACCOUNT="100000 per minute", LOGIN_FAILURES_PER_ADDRESS="100000 per minute",
                      LOOKUP_FAILURES_PER_CODE="100000 per minute", LOOKUP_FAILURES_PER_ADDRESS="100000 per minute",
                      KIOSK_TICKETS_PER_ADDRESS="100000 per minute")
    world = demo_world(make_user)
    clients = {"anonymous": app.test_client()}
    for role, email in (("facilitator", "facilitator@example.org"), ("coordinator", "coordinator@example.org")):
        client = app.test_client()
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"csrf_token": token, "email": email, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302
        clients[role] = client
    forms, pages, query_names = crawl(app, clients, world)
    forms += forms_without_a_page(app, clients["coordinator"], world, forms)
    db.session.rollback()
    return Site(clients, forms, pages, query_names)


def forms_without_a_page(app, client, world, found):
    """The POST routes no page of the demo offers a form for (a button shown only on some days,
    or after some change): filled with every name the code reads from a form."""
    token = csrf_token_from(client.get("/account").get_data(as_text=True))
    values, reached = route_values(world), {form.endpoint for form in found}
    forms = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint not in reached:
            action = app.url_map.bind("localhost").build(rule.endpoint, {name: values[name] for name in rule.arguments})
            fields = {"csrf_token": FormField("csrf_token", "hidden", token)}
            fields.update((name, FormField(name, "text")) for name in FORM_NAMES)
            forms.append(Form("coordinator", action, "POST", action, rule.endpoint, fields))
    return forms


# --- the properties -----------------------------------------------------------------------------

def snapshot():
    """Every row of every table, as the database has them now."""
    db.session.rollback()
    return {table.name: db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
            for table in db.metadata.sorted_tables}


# A change of these is a change of the set-up or of a resident's record: it is audited.
AUDITED_TABLES = {"closure", "opening_rule", "opening_rule_topic", "topic", "procedure", "location", "need",
                  "referral_target", "booking_rules", "centre", "resident", "help_session", "help_session_topic",
                  "help_session_need", "help_session_attendee"}


def refused(response):
    return response.status_code >= 400 or 'aria-invalid="true"' in response.get_data(as_text=True)


def check_answer(response, what):
    response.get_data()  # read to the end: exports are streamed
    assert response.status_code < 500, f"{response.status_code} for {what}"
    assert "Content-Security-Policy" in response.headers, f"no security headers for {what}"


def check_database(before, after, what):
    """What holds after any request: seats, slots in line with the hours, the audit trail."""
    wrong_seats = db.session.execute(
        select(Slot.id).outerjoin(Booking, (Booking.slot_id == Slot.id) & Booking.status.in_(
            HOLDS_SEAT))
        .group_by(Slot.id, Slot.seats_taken).having(func.count(Booking.id) != Slot.seats_taken)
    ).scalars().all()
    assert wrong_seats == [], f"seats taken do not match the bookings on slots {wrong_seats} after {what}"
    changed = {name for name in after if after[name] != before[name]}
    if changed & {"opening_rule", "opening_rule_topic", "closure", "booking_rules"}:
        _, _, report = generate_for_horizon(db.session)
        db.session.rollback()
        assert (report.created, report.updated, report.removed) == (0, 0, 0), \
            f"the slots were not brought in line with the hours after {what}"
    if changed & AUDITED_TABLES:
        assert len(after["audit_event"]) > len(before["audit_event"]), f"{sorted(changed)} changed unaudited by {what}"
    before_bookings = {row.id for row in before["booking"]}
    messages = {row.booking_id for row in after["outbox_message"]}
    for row in after["booking"]:
        if row.id not in before_bookings:
            assert row.id in messages, f"booking {row.id} without its message after {what}"
        if row.status.startswith("cancelled"):
            assert row.cancelled_at is not None, f"booking {row.id} cancelled without a date after {what}"


# About 100 ms an example on PostgreSQL (the request and two snapshots of the database): the
# whole file stays within half a minute per database.
def bounded(examples):
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


def value_for(form_field):
    """What a person, or an attacker, may put in this field."""
    own = [st.just(form_field.value)] if form_field.value else []
    options = [st.sampled_from(form_field.options)] if form_field.options else []
    typed = {"date": [HOSTILE_DATE], "time": [HOSTILE_TIME], "number": [HOSTILE_INTEGER]}.get(form_field.kind, [])
    one = st.one_of(*options, *own, *typed, HOSTILE)
    if form_field.kind == "multiple":
        return st.lists(one, max_size=4)
    return st.one_of(one.map(lambda value: [value]), st.just([]), st.lists(HOSTILE, min_size=2, max_size=3))


# --- the tests -----------------------------------------------------------------------------------

def test_every_form_refuses_hostile_input_cleanly(site, app):
    fuzzed = [form for form in site.forms if form.endpoint not in NOT_FUZZED]

    @bounded(120)
    @given(st.data())
    def fill_in(data):
        form = data.draw(st.sampled_from(fuzzed), label="form")
        pairs = []
        for name, form_field in form.fields.items():
            if name.endswith("csrf_token"):
                pairs.append((name, form_field.value))  # the token is valid: the input is what is tested
                continue
            pairs.extend((name, value) for value in data.draw(value_for(form_field), label=name))
        what = f"{form.role} {form.method} {form.action} {pairs!r:.300}"
        before = snapshot()
        response = site.clients[form.role].open(
            form.action, method=form.method, data=encoded_pairs(pairs),
            content_type="application/x-www-form-urlencoded")
        check_answer(response, what)
        after = snapshot()
        if refused(response):
            assert after == before, f"a refused request changed {[n for n in after if after[n] != before[n]]}: {what}"
        check_database(before, after, what)

    fill_in()
    valid_data_is_still_kept(site)


def test_every_filter_and_address_refuses_hostile_input_cleanly(site, app):
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    pages = sorted(site.pages.items())

    @bounded(100)
    @given(st.data())
    def ask(data):
        (role, path), endpoint = data.draw(st.sampled_from(pages), label="page")
        rule = rules[endpoint]
        if rule.arguments and data.draw(st.booleans(), label="hostile address"):
            # The same route with hostile values in its variables: ids at the edges, NUL, slashes…
            path = re.sub(r"<[^>]+>", lambda variable: encode(data.draw(HOSTILE, label=variable[0])), rule.rule)
        names = sorted(set(ARG_NAMES) | site.query_names.get(endpoint, set()))
        pairs = data.draw(st.lists(st.tuples(st.sampled_from(names + LINK_BUILDER_NAMES) | HOSTILE_TEXT, HOSTILE),
                                   max_size=6), label="query")
        url = f"{path}?{encoded_pairs(pairs)}"
        before = snapshot()
        response = site.clients[role].get(url)
        check_answer(response, f"{role} GET {url:.300}")
        after = snapshot()
        new_events = after["audit_event"][len(before["audit_event"]):]
        # Opening a resident's page or what the centre holds about someone is itself recorded.
        assert {event.action for event in new_events} <= {"resident.viewed", "privacy.access"}, url
        after["audit_event"] = before["audit_event"]
        assert after == before, f"GET {url:.300} changed {[n for n in after if after[n] != before[n]]}"

    ask()


def valid_data_is_still_kept(site):
    """After the hostile examples, ordinary submissions work and store what was typed."""
    public, staff = site.clients["anonymous"], site.clients["coordinator"]
    # A hostile example may have been a valid booking-rules form (a notice of weeks, a horizon of a
    # day): back to the defaults, so that the booking below is one the rules allow.
    for rules in db.session.scalars(select(BookingRules)).all():
        db.session.delete(rules)
    db.session.commit()
    slot = db.session.execute(select(Slot).where(Slot.seats_taken == 0, Slot.cancelled.is_(False),
                                                 Slot.offered.is_(True), Slot.capacity == 1,
                                                 Slot.starts_at > local_instant(2, 0),
                                                 # a hostile example may have been a valid topic form
                                                 # that switched a topic off
                                                 Slot.topics.any(Topic.active.is_(True)))
                              .order_by(Slot.starts_at)).scalars().first()
    topic = next(topic for topic in slot.topics if topic.active)
    page = public.get(f"/book/slot/{slot.id}?topic={topic.slug}").get_data(as_text=True)
    response = public.post(f"/book/slot/{slot.id}", data={
        "csrf_token": csrf_token_from(page), "first_name": "Mariama", "phone": "06 11 22 33 44", "email": "",
        "note": "Dossier CAF", "language": "fr", "topic": topic.slug,
        "request_key": re.search(r'name="request_key"[^>]* value="([^"]+)"', page).group(1)})
    refused = re.findall(r'class="(?:flash flash-error|error)"[^>]*>([^<]+)', response.get_data(as_text=True))
    assert response.status_code == 302, refused
    booking = db.session.execute(select(Booking).where(Booking.first_name == "Mariama")).scalar_one()
    assert (booking.slot_id, booking.phone, booking.note, booking.status) == (
        slot.id, "+33611223344", "Dossier CAF", BookingStatus.BOOKED.value)

    token = csrf_token_from(staff.get("/desk/residents/new").get_data(as_text=True))
    response = staff.post("/desk/residents/new", data={
        "csrf_token": token, "first_name": "Moussa", "last_name": "Traoré", "phone": "07 81 34 67 90",
        "email": "moussa@example.org", "neighbourhood": "Fontbarlettes", "language": "fr", "birth_year": "1956",
        "age_bracket": ""})
    assert response.status_code == 302, re.findall(r'class="error"[^>]*>([^<]*)|flash[^>]*>([^<]*)', response.page)
    resident = db.session.execute(select(Resident).where(Resident.first_name == "Moussa")).scalar_one()
    assert (resident.last_name, resident.phone, resident.email, resident.birth_year) == (
        "Traoré", "+33781346790", "moussa@example.org", 1956)

    first = date.today() + timedelta(days=60)
    assert staff.post("/admin/closures", data={
        "csrf_token": token, "start_date": first.isoformat(), "end_date": (first + timedelta(days=1)).isoformat(),
        "reason": "Inventaire", "location": "0"}).status_code == 302
    closure = db.session.execute(select(Closure).where(Closure.reason == "Inventaire")).scalar_one()
    assert (closure.start_date, closure.end_date, closure.location_id) == (first, first + timedelta(days=1), None)
    assert "settings.closure_add" in db.session.execute(select(AuditEvent.action).where(
        AuditEvent.target_type == "closure", AuditEvent.target_id == closure.id)).scalars().all()



# --- the findings of issue 10, one by one ----------------------------------------------------------

def test_query_arguments_named_like_the_link_builders_parameters_are_carried_on(client):
    response = client.get("/book/demarches?endpoint=x&values=1&_anchor=top&_external=1&slug=other"
                          "&lang=en&lang=fr&topic=a&topic=b")
    assert response.status_code == 404  # no such topic: the error page itself draws its links
    switch = re.search(r'<nav class="lang-switch".*?</nav>', response.page, re.S).group(0)
    link = re.search(r'href="([^"]+)"', switch).group(1)
    assert link.startswith("/book/demarches?")
    assert parse_qsl(urlsplit(link).query) == [
        ("endpoint", "x"), ("values", "1"), ("_anchor", "top"), ("_external", "1"), ("slug", "other"),
        ("topic", "a"), ("topic", "b"), ("lang", "fr")]


@pytest.mark.parametrize("number", [MAX_ID + 1, 2**63, 10**30])
def test_an_id_beyond_the_database_range_is_not_found_on_every_route(app, client, login_as, number):
    login_as(Role.COORDINATOR)
    for rule in app.url_map.iter_rules():
        if any(isinstance(converter, IntegerConverter) for converter in rule._converters.values()):
            path = re.sub(r"<int:[^>]+>", str(number), rule.rule)
            path = re.sub(r"<[^>]+>", "x", path)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(path, method=method)
                assert response.status_code == 404, (method, path)


@pytest.mark.parametrize("url", ["/desk/sessions/new?booking=2147483648", "/desk/book?resident=99999999999",
                                 "/desk/residents/?booking=2147483648", "/desk/residents/?ticket=１"])
def test_an_id_beyond_the_database_range_in_a_query_is_not_found(client, login_as, url):
    login_as(Role.FACILITATOR)
    assert client.get(url).status_code == 404


def test_nul_in_a_query_string_or_an_address_is_harmless(client, login_as):
    assert client.get("/api/v1/slots?topic=%00").status_code in (400, 404)  # read as an empty topic
    assert client.get("/book/a%00b").status_code == 404
    login_as(Role.COORDINATOR)
    for url in ("/desk/residents/?q=%00", "/admin/audit?action=a%00b", "/stats/?period=%00&topic=%00",
                "/desk/?day=%00&facilitator=%00"):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("url, message", [
    ("/admin/audit?since=0001-01-01&lang=en", "Give a date between January 1, 2000 and December 31, 2100."),
    ("/admin/audit?until=9999-12-31&lang=en", "Give a date between January 1, 2000 and December 31, 2100."),
    ("/desk/?day=9999-12-31&lang=en", "We could not read the date"),
    ("/stats/?period=custom&start=0001-01-01&end=9999-12-31&lang=en", "The custom period must lie between"),
])
def test_dates_at_the_edges_of_the_calendar_in_filters_are_explained(client, login_as, url, message):
    login_as(Role.COORDINATOR)
    response = client.get(url)
    assert response.status_code == 200
    assert message in response.page


def test_the_look_up_past_its_rate_limit_gets_the_translated_429_page(app, client):
    app.config.update(PROPAGATE_EXCEPTIONS=False, LOOKUP_FAILURES_PER_CODE="2 per hour")
    token = csrf_token_from(client.get("/booking").get_data(as_text=True))
    for _ in range(2):
        client.post("/booking", data={"csrf_token": token, "code": "ABC-DEF", "contact": "0612345678"})
    for data in ({"csrf_token": token}, {}):  # a valid token, and none (the form is refilled)
        response = client.post("/booking?lang=fr", data={**data, "code": "ABC-DEF", "contact": "0612345678"})
        assert response.status_code == 429
        assert "Trop de tentatives" in response.page
        assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("failure, status, title", [
    (lambda: abort(404), 404, "Page not found"),
    (lambda: 1 / 0, 500, "Something went wrong on our side"),
])
def test_an_error_page_that_cannot_be_drawn_falls_back_to_a_plain_one(database_urls, failure, status, title,
                                                                       monkeypatch):
    app = make_app(database_urls["sqlite"], PROPAGATE_EXCEPTIONS=False)
    app.add_url_rule("/broken", "broken", failure)
    monkeypatch.setitem(access.ENDPOINTS, "broken", access.PUBLIC)  # routes added after start-up

    @app.context_processor
    def broken_page_parts():
        # Every page of this request fails to draw: the error page as well.
        if request.path == "/broken":
            raise RuntimeError("a part of the page broke")
        return {}

    response = app.test_client().get("/broken?lang=en")
    assert response.status_code == status
    assert title in response.page and "Back to the home page" in response.page
    assert "Traceback" not in response.page and "a part of the page broke" not in response.page
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Frame-Options"] == "DENY"
