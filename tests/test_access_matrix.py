"""Every route, every method, as every kind of visitor, with every kind of CSRF token.

The list of routes comes from `app.url_map`, so a route added later is in the matrix without
editing this file; its expected answers come from the access table (`tiers_lieu/accounts/access.py`),
and an endpoint missing from that table stops the app from starting. The ids are real ones, from
the demo centre loaded into the database, so that every view reaches its data, not a 404.
"""
import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask

from tiers_lieu.accounts import access
from tiers_lieu.accounts.models import ROLE_RANK, Role, User
from tiers_lieu.booking.codes import token_for
from tiers_lieu.booking.models import (Booking, BookingStatus, CallbackRequest, Closure, OpeningRule,
                                       Procedure, Slot, Topic)
from tiers_lieu.database import utcnow
from tiers_lieu.demo import load_demo
from tiers_lieu.desk.models import HelpSession, Need, QueueTicket, Resident
from tiers_lieu.extensions import db, limiter
from tiers_lieu.notify.models import OutboxMessage

from .conftest import STAFF_PASSWORD, csrf_token_from, empty_database, log_in, make_app

# Reviewed by hand: making a page public means changing this list and the access table.
PUBLIC_BLUEPRINTS = {"core", "booking", "api", "lobby", "opendata"}
PUBLIC_ENDPOINTS = {"static", "accounts.login", "accounts.logout", "accounts.forgot_password",
                    "accounts.reset_password", "accounts.login_two_step"}
COORDINATOR_BLUEPRINTS = {"admin"}
COORDINATOR_ENDPOINTS = {"desk.privacy_erase"}  # erasing a person's details, from the desk's pages

PHONE = re.compile(r"(?:\+33|0)[1-9](?:[ .]?\d{2}){4}")


@dataclass
class Visitor:
    name: str
    role: Role | None
    client: object
    token: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def centre(request, database_urls):
    """An app holding the demo centre, shared by the module's tests, emptied at the end."""
    if request.param not in database_urls:
        pytest.skip("PostgreSQL variant: set TEST_DATABASE_URL to run it")
    app = make_app(database_urls[request.param])
    with app.app_context():
        load_demo()
        julien = db.session.execute(db.select(User).where(User.email == "facilitator@example.org")).scalar_one()
        in_a_month = utcnow().date() + timedelta(days=30)
        db.session.add(Closure(start_date=in_a_month, end_date=in_a_month, reason="Formation",
                               facilitator_id=julien.id))
        db.session.commit()
        yield app
    empty_database(app)


def staff(app, role, email):
    from tiers_lieu.accounts.service import create_user

    user = db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        create_user(email, f"Matrix {role.value}", STAFF_PASSWORD, role=role)
    client = app.test_client()
    assert log_in(client, email).status_code == 302
    return client


def visitors(app):
    anonymous = app.test_client()
    facilitator = staff(app, Role.FACILITATOR, "matrix-facilitator@example.org")
    coordinator = staff(app, Role.COORDINATOR, "matrix-coordinator@example.org")
    return [
        Visitor("anonymous", None, anonymous, page_token(anonymous, "/login")),
        Visitor("facilitator", Role.FACILITATOR, facilitator, page_token(facilitator, "/account")),
        Visitor("coordinator", Role.COORDINATOR, coordinator, page_token(coordinator, "/account")),
    ]


def page_token(client, path):
    return csrf_token_from(client.get(path).get_data(as_text=True))


def real_ids(app):
    """A real value for every argument of the app's routes."""
    first = lambda statement: db.session.execute(statement.limit(1)).scalar_one()  # noqa: E731
    now = utcnow()
    booking = first(db.select(Booking).join(Slot).where(
        Booking.status == BookingStatus.BOOKED, Slot.starts_at > now).order_by(Slot.starts_at))
    julien = first(db.select(User).where(User.email == "facilitator@example.org"))
    return {
        "slug": first(db.select(Topic.slug).order_by(Topic.position)),
        "slot_id": first(db.select(Slot.id).where(Slot.starts_at > now, Slot.seats_taken < Slot.capacity)
                         .order_by(Slot.starts_at)),
        "token": token_for(booking.request_key),
        "booking_id": booking.id,
        "closure_id": first(db.select(Closure.id).where(Closure.facilitator_id.is_(None))),
        "absence_id": first(db.select(Closure.id).where(Closure.facilitator_id.is_not(None))),
        "rule_id": first(db.select(OpeningRule.id)),
        "name": "needs",
        "row_id": first(db.select(Need.id)),
        "procedure_id": first(db.select(Procedure.id)),
        "topic_id": first(db.select(Topic.id)),
        "user_id": julien.id,
        "request_id": first(db.select(CallbackRequest.id)),
        "resident_id": first(db.select(Resident.id)),
        "session_id": first(db.select(HelpSession.id).where(HelpSession.facilitator_id == julien.id)),
        "ticket_id": first(db.select(QueueTicket.id).order_by(QueueTicket.id.desc())),
        "action": "recall",
        "filename": "css/site.css",
        "message_id": first(db.select(OutboxMessage.id).where(OutboxMessage.booking_id.is_not(None))
                            .order_by(OutboxMessage.id)),
    }


# Forms that a desk page opens for a record named in the query string (the hole of issue 10 went
# through these: a stranger's POST showed the record).
QUERY_RECORDS = {
    "desk.book_for": {"callback": "request_id", "resident": "resident_id", "booking": "booking_id"},
    "desk.new_session": {"booking": "booking_id", "ticket": "ticket_id", "resident": "resident_id"},
    "desk.new_resident": {"booking": "booking_id", "ticket": "ticket_id"},
}


def requests_of(app):
    """(endpoint, method, url) for every rule and method; logging out comes last."""
    values = real_ids(app)
    found = []
    for rule in app.url_map.iter_rules():
        arguments = {name: values[name] for name in rule.arguments}
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **arguments)
        urls = [url] + [f"{url}?{name}={values[kind]}"
                        for name, kind in QUERY_RECORDS.get(rule.endpoint, {}).items()]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.extend((rule.endpoint, method, url) for url in urls)
    return sorted(found, key=lambda request: (request[0] == "accounts.logout", request))


def csrf_exempt(app, endpoint):
    with app.test_request_context():
        view = app.view_functions[endpoint]
        csrf = app.extensions["csrf"]
        blueprint = app.blueprints.get(endpoint.rpartition(".")[0])
        return (blueprint in csrf._exempt_blueprints
                or f"{view.__module__}.{view.__name__}" in csrf._exempt_views)


def expected_problem(app, visitor, endpoint, method, token_kind, response):
    """What is wrong with this answer, or None."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    required = access.required_access(endpoint)
    sends_form = method != "GET" and not csrf_exempt(app, endpoint)
    if required is not access.PUBLIC and visitor.role is None:
        location = urlsplit(response.headers.get("Location", ""))
        if status != 302 or location.path != "/login":
            return f"anonymous got {status} instead of the login page"
        if PHONE.search(response.get_data(as_text=True)):
            return "a phone number in an answer to an anonymous visitor"
        return None
    if required is not access.PUBLIC and ROLE_RANK[visitor.role] < ROLE_RANK[required]:
        return None if status == 403 else f"got {status} instead of 403"
    if sends_form and token_kind != "valid" and status != 400:
        # A facilitator may be refused a colleague's page by the view itself, token or not.
        if not (status == 403 and visitor.role is Role.FACILITATOR):
            return f"a refused token answered {status}, not 400 {response.headers.get('Location', '')}"
    if visitor.role is Role.COORDINATOR and status == 403:
        return "a coordinator was refused"
    return None


def test_the_public_pages_are_the_reviewed_ones(centre):
    endpoints = {rule.endpoint for rule in centre.url_map.iter_rules()}
    public = {endpoint for endpoint in endpoints if access.required_access(endpoint) is access.PUBLIC}
    expected = {endpoint for endpoint in endpoints
                if endpoint in PUBLIC_ENDPOINTS or endpoint.rpartition(".")[0] in PUBLIC_BLUEPRINTS}
    assert public == expected
    coordinators_only = {endpoint for endpoint in endpoints
                         if access.required_access(endpoint) is Role.COORDINATOR}
    assert coordinators_only == {endpoint for endpoint in endpoints
                                 if endpoint.rpartition(".")[0] in COORDINATOR_BLUEPRINTS} | COORDINATOR_ENDPOINTS


def test_an_app_with_a_route_missing_from_the_access_table_does_not_start():
    app = Flask(__name__)
    app.add_url_rule("/forgotten", "forgotten", lambda: "personal data")
    with pytest.raises(RuntimeError, match="forgotten"):
        access.check_table(app)


def table_digests():
    """A digest of every table's rows, to tell which tables a series of requests changed."""
    digests = {}
    for table in db.metadata.sorted_tables:
        digest = hashlib.sha256()
        for row in db.session.execute(table.select().order_by(*table.primary_key.columns)):
            digest.update(repr(tuple(row)).encode())
        digests[table.name] = digest.hexdigest()
    db.session.rollback()
    return digests


@pytest.mark.parametrize("who", ["anonymous", "facilitator", "coordinator"])
def test_every_route_answers_every_visitor_as_the_access_table_says(centre, who):
    limiter.reset()
    visitor = next(v for v in visitors(centre) if v.name == who)
    tokens = {"valid": visitor.token, "none": None,
              "another session's": page_token(centre.test_client(), "/login")}
    every_request = requests_of(centre)
    problems = []

    def send(endpoint, method, url, kind):
        data = {} if tokens[kind] is None else {"csrf_token": tokens[kind]}
        response = visitor.client.open(url, method=method, data=data)
        response.get_data()  # a streamed export runs to its end, within the request's context
        response.close()
        problem = expected_problem(centre, visitor, endpoint, method, kind, response)
        if problem:
            problems.append(f"{method} {url} ({endpoint}), {kind} token: {problem}")

    # Refused tokens first, on the data as it is: together they must change nothing at all.
    before = table_digests()
    for endpoint, method, url in every_request:
        if method != "GET":
            send(endpoint, method, url, "none")
            send(endpoint, method, url, "another session's")
    after = table_digests()
    changed = sorted(name for name in before if before[name] != after[name])
    assert not changed, f"requests with a refused token changed {changed}"
    for endpoint, method, url in every_request:
        send(endpoint, method, url, "valid")
    assert not problems, "\n".join(problems)
