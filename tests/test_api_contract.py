"""The partners' API does what its OpenAPI description says: schemathesis against the served app.

Every operation of /api/v1/openapi.json gets schemathesis' examples, coverage and fuzzing phases,
valid and invalid requests, and every check it has (no server error, documented status codes,
content types and bodies, invalid data refused, valid data accepted), over a real server on a
loopback port and a database holding topics and free slots, on SQLite and PostgreSQL.
"""
import json
import urllib.request
from datetime import date, datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from config import TestConfig
from tiers_lieu import create_app
from tiers_lieu.booking.api import MAX_DAYS

from .factories import PARIS, make_slots, make_topic

# The description as the app serves it. It reads no data, so an app without a database gives it;
# the `api` fixture checks that the served app, on each database, gives the same.
DESCRIPTION = create_app(TestConfig).test_client().get("/api/v1/openapi.json").get_json()
schema = schemathesis.openapi.from_dict(DESCRIPTION)


def without_server(document):
    return {key: value for key, value in document.items() if key != "servers"}


@pytest.fixture
def api(live_server):
    """The served API's address, with topics and free slots for valid requests to reach."""
    demarches = make_topic()  # "demarches", the description's example
    make_slots(demarches, count=3)
    make_slots(demarches, days_ahead=9, capacity=6, title="Atelier France Travail")
    make_slots(make_topic(slug="achats", position=2), count=2, days_ahead=4, hour=14)
    with urllib.request.urlopen(f"{live_server}/api/v1/openapi.json", timeout=10) as response:
        assert without_server(json.load(response)) == without_server(DESCRIPTION)
    return f"{live_server}/api/v1"


def day_in_query(query, name):
    """The query's date, when it is one the description allows (None when absent or not one)."""
    value = query.get(name)
    if not isinstance(value, str):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if value == day.isoformat() and 2000 <= day.year <= 2100 else None


def breaks_the_period_rules(case):
    """Whether the dates break the rules the description states in words, since a schema cannot:
    `to` not before `from` and at most MAX_DAYS days after it (`from` is today by default, `to`
    13 days after `from`)."""
    query = case.query or {}
    first = day_in_query(query, "from") or datetime.now(PARIS).date()
    last = day_in_query(query, "to") or first + timedelta(days=13)
    return last < first or (last - first).days > MAX_DAYS


@schema.parametrize()
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_the_api_does_what_its_description_says(case, api):
    if breaks_the_period_rules(case):
        # Valid for the schema, refused by the rules in the text: told why, never served.
        response = case.call_and_validate(base_url=api, excluded_checks=[schemathesis.checks.positive_data_acceptance])
        assert response.status_code in (400, 404)
    else:
        case.call_and_validate(base_url=api)
