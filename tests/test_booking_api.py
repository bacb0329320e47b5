"""Read-only JSON for partners: topics and free slots, no personal data."""
from datetime import datetime

import pytest

from tiers_lieu.booking.models import Booking
from tiers_lieu.extensions import db

from .factories import PARIS, make_slots, make_topic


@pytest.fixture
def topic(app):
    return make_topic()


def test_topics(client, topic):
    make_topic(slug="hidden", active=False)
    data = client.get("/api/v1/topics").get_json()
    assert [t["slug"] for t in data["topics"]] == ["demarches"]
    first = data["topics"][0]
    assert first["name"] == {"fr": "Démarches administratives", "en": "Administrative procedures"}
    assert first["what_to_bring"]["en"] == ["An identity document", "Your carte Vitale"]
    assert first["booking_url"] == "http://localhost/book/demarches"


def test_free_slots_with_offsets_and_booking_links(client, topic):
    free, taken = make_slots(topic, count=2, hour=10)
    workshop = make_slots(topic, days_ahead=3, capacity=6, title="Atelier")[0]
    taken.seats_taken = 1
    workshop.seats_taken = 2
    db.session.add(Booking(slot=taken, topic=topic, code="ACDEFG", token_hash="x" * 64, first_name="Secret",
                           phone="+33612345678", status="booked", request_key="k"))
    db.session.commit()
    response = client.get("/api/v1/slots?topic=demarches")
    assert response.status_code == 200
    slots = response.get_json()["slots"]
    assert [s["id"] for s in slots] == [free.id, workshop.id]
    first = slots[0]
    start = datetime.fromisoformat(first["start"])
    assert start.utcoffset() == free.starts_at.astimezone(PARIS).utcoffset()
    assert (start.hour, start.minute) == (10, 0)
    assert first["booking_url"] == f"http://localhost/book/slot/{free.id}?topic=demarches"
    assert (slots[1]["capacity"], slots[1]["seats_left"]) == (6, 4)
    assert "Secret" not in response.get_data(as_text=True)
    assert "612345678" not in response.get_data(as_text=True)


def test_slots_between_two_dates(client, topic):
    near = make_slots(topic, days_ahead=2)[0]
    far = make_slots(topic, days_ahead=20)[0]
    day = far.starts_at.astimezone(PARIS).date()
    data = client.get(f"/api/v1/slots?topic=demarches&from={day}&to={day}").get_json()
    assert [s["id"] for s in data["slots"]] == [far.id]
    assert near.id not in [s["id"] for s in data["slots"]]


@pytest.mark.parametrize("query, status", [
    ("", 400),
    ("topic=nope", 404),
    ("topic=demarches&from=yesterday", 400),
    ("topic=demarches&from=2030-02-30", 400),
    ("topic=demarches&from=2030-05-10&to=2030-05-01", 400),
    ("topic=demarches&from=2030-01-01&to=2030-12-31", 400),
    ("topic=demarches&from=2001-01-01", 200),
    ("topic=demarches&from=0001-01-01", 400),
    ("topic=demarches&from=9999-12-30", 400),
    # What the description says a topic and a date look like, the API checks before the database.
    ("topic=%00", 400),
    ("topic=D%C3%A9marches", 400),
    ("topic=demarches%0A", 400),
    ("topic=" + "a" * 41, 400),
    ("topic=" + "a" * 40, 404),
    ("topic=demarches&from=20300101", 400),
    ("topic=demarches&from=2030-W01-1", 400),
    ("topic=demarches&from=2100-12-31", 200),
    ("topic=demarches&to=2100-01-01", 400),
])
def test_bad_parameters_get_a_clear_json_answer(client, topic, query, status):
    response = client.get(f"/api/v1/slots?{query}")
    assert response.status_code == status
    assert response.is_json
    if status != 200:
        assert response.get_json()["detail"]


def test_openapi_document_describes_both_endpoints(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {"/topics", "/slots"}
    parameters = {p["name"]: p for p in document["paths"]["/slots"]["get"]["parameters"]}
    assert set(parameters) == {"topic", "from", "to"}
    assert document["servers"][0]["url"] == "http://localhost/api/v1"
    # An empty topic is refused (400), so the description does not allow one either.
    assert parameters["topic"]["required"] and parameters["topic"]["schema"]["pattern"] == "^[a-z0-9-]{1,40}$"
    assert set(document["paths"]["/slots"]["get"]["responses"]) == {"200", "400", "404"}
