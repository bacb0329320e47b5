"""The kiosk at the entrance and the waiting-room screen: public, and never personal."""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tiers_lieu.booking.demo import DEMO_RESIDENTS
from tiers_lieu.booking.models import Booking, BookingStatus
from tiers_lieu.demo import load_demo
from tiers_lieu.desk.reception import queue
from tiers_lieu.desk.demo import TODAY, WALK_INS
from tiers_lieu.desk.models import QueueTicket
from tiers_lieu.extensions import db

from .factories import make_topic
from .conftest import csrf_token_from

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def topic(app):
    return make_topic()


@pytest.fixture
def around_now():
    local = datetime.now(PARIS)
    if local.time() < time(1, 30) or local.time() > time(22, 30):
        pytest.skip("too close to midnight for slots around now to stay on today")


def today():
    return datetime.now(PARIS).date()


def kiosk_post(client, url, data, lang="en"):
    page = client.get(f"/kiosk?lang={lang}")
    return client.post(url, data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data})


def tickets():
    db.session.expire_all()
    return db.session.execute(db.select(QueueTicket).order_by(QueueTicket.number)).scalars().all()


def test_the_kiosk_shows_a_big_button_per_topic_without_login(client, topic, make_topic):
    make_topic(slug="old", name_fr="Ancienne", active=False)
    page = client.get("/kiosk?lang=en").page
    assert "Administrative procedures" in page and "Ancienne" not in page
    assert 'name="topic" value="demarches"' in page and "img/topics/demarches.svg" in page
    assert "I have an appointment" in page and "js/kiosk.js" in page
    french = client.get("/kiosk?lang=fr").page
    assert "Démarches administratives" in french and 'lang="fr"' in french


def test_pressing_a_topic_gives_the_next_number(client, topic):
    queue.issue(db.session, day=today(), topic_id=topic.id)
    response = kiosk_post(client, "/kiosk/ticket", {"topic": "demarches", "first_name": "Zoé"})
    assert response.status_code == 200
    assert "A-002" in response.page and "kiosk-number" in response.page
    assert "1 person is waiting before you." in response.page
    assert 'href="/kiosk"' in response.page and "data-idle-seconds" in response.page
    ticket = tickets()[-1]
    assert ticket.source == "kiosk" and ticket.first_name == "Zoé" and ticket.status == "waiting"


def test_a_script_cannot_fill_the_queue_from_the_kiosk(client, topic, app):
    app.config["KIOSK_TICKETS_PER_ADDRESS"] = "3 per minute"
    for _ in range(3):
        assert kiosk_post(client, "/kiosk/ticket", {"topic": "demarches"}).status_code == 200
    refused = kiosk_post(client, "/kiosk/ticket?lang=en", {"topic": "demarches"})
    assert refused.status_code == 429 and "Too many attempts" in refused.page
    assert len(tickets()) == 3


def test_an_unknown_topic_or_a_missing_token_gives_no_ticket(client, topic):
    assert kiosk_post(client, "/kiosk/ticket", {"topic": "nothing"}).status_code == 404
    assert client.post("/kiosk/ticket", data={"topic": "demarches"}).status_code == 400
    assert tickets() == []


def test_an_appointment_code_checks_in_and_shows_only_time_and_place(client, topic, make_slot, make_booking,
                                                                     around_now):
    starts_at = datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(minutes=20)
    slot = make_slot(starts_at=starts_at, topics=[topic])
    booking = make_booking(slot, code="K7M4XP", first_name="Geneviève", note="Ma retraite", phone="+33677777777")
    response = kiosk_post(client, "/kiosk/appointment", {"code": " k7m-4xp "})
    assert response.status_code == 200
    page = response.page
    assert "you are checked in" in page and "Salle informatique" in page
    assert starts_at.astimezone(PARIS).strftime("%H:%M") in page
    for private in ("Geneviève", "Ma retraite", "77 77", "+3367"):
        assert private not in page
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CHECKED_IN.value
    again = kiosk_post(client, "/kiosk/appointment", {"code": "K7M4XP"})
    assert "already checked in" in again.page


def test_a_late_arrival_at_the_kiosk_gets_a_ticket(client, topic, make_slot, make_booking, around_now):
    starts_at = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=30)
    make_booking(make_slot(starts_at=starts_at, topics=[topic]), code="ACDEFG")
    page = kiosk_post(client, "/kiosk/appointment", {"code": "ACDEFG"}).page
    assert "A-001" in page and "more than 10 minutes late" in page
    assert tickets()[0].source == "late"


def test_codes_of_another_day_cancelled_or_unknown_say_so(client, topic, make_slot, make_booking):
    make_booking(make_slot(starts_at=datetime(2030, 7, 1, 8, tzinfo=timezone.utc), topics=[topic]), code="CCCCCC")
    make_booking(make_slot(starts_at=datetime(2030, 7, 2, 8, tzinfo=timezone.utc), topics=[topic]), code="DDDDDD",
                 status=BookingStatus.CANCELLED_BY_RESIDENT)
    assert "This appointment is not today." in kiosk_post(client, "/kiosk/appointment", {"code": "CCCCCC"}).page
    assert "This appointment is cancelled." in kiosk_post(client, "/kiosk/appointment", {"code": "DDDDDD"}).page
    unknown = kiosk_post(client, "/kiosk/appointment", {"code": "XXXXXX"})
    assert unknown.status_code == 404 and "We found no appointment with this code" in unknown.page
    assert kiosk_post(client, "/kiosk/appointment", {"code": ""}).status_code == 400
    assert kiosk_post(client, "/kiosk/appointment", {"code": "x" * 500}).status_code == 400


def test_the_code_form_is_rate_limited(client, app):
    limit = int(app.config["LOOKUP_FAILURES_PER_CODE"].split()[0])
    statuses = [kiosk_post(client, "/kiosk/appointment", {"code": "XXXXXX"}).status_code for _ in range(limit + 1)]
    assert statuses[:limit] == [404] * limit and statuses[-1] == 429


def test_the_display_shows_called_numbers_and_how_many_wait(client, topic):
    for _ in range(3):
        queue.issue(db.session, day=today(), topic_id=topic.id, first_name="Secret")
    queue.call_next(db.session, day=today(), user_id=None, desk="2")
    queue.call_next(db.session, day=today(), user_id=None, desk="Accueil")
    page = client.get("/display?lang=en").page
    assert "A-002" in page and "Accueil" in page and "A-001" in page
    assert '<noscript><meta http-equiv="refresh"' in page and "js/display.js" in page
    assert "Secret" not in page
    data = client.get("/display.json").get_json()
    assert data == {"calls": [{"ticket": "A-002", "desk": "Accueil"}, {"ticket": "A-001", "desk": "2"}],
                    "waiting": 1}


def test_kiosk_and_display_never_show_the_demo_residents(client, app):
    load_demo()
    # Call the walk-ins too, so that the display shows them.
    queue.call_next(db.session, day=today(), user_id=None, desk="1")
    pages = [client.get(url).page for url in ("/kiosk", "/kiosk?lang=en", "/display", "/display.json")]
    pages.append(kiosk_post(client, "/kiosk/ticket", {"topic": "demarches"}).page)
    codes = db.session.execute(db.select(Booking.code)).scalars().all()
    pages.append(kiosk_post(client, "/kiosk/appointment", {"code": codes[0]}).page)
    private = [value for first, phone, email, note, _language in DEMO_RESIDENTS for value in (first, phone, email, note)]
    private += [value for first, phone, email, note, *_rest in TODAY for value in (first, phone, email, note)]
    private += [first for first, _topic, _minutes in WALK_INS]
    for value in filter(None, private):
        for page in pages:
            assert value not in page
    assert "facilitator@example.org" not in "".join(pages)


def test_shared_device_pages_are_not_cached(client):
    for url in ("/kiosk", "/display", "/display.json"):
        assert client.get(url).headers["Cache-Control"] == "no-store"
