"""Never two people on one seat: concurrent bookings through a real server with several workers."""
import http.cookiejar
import os
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

from bench.harness import gunicorn
from tiers_lieu.booking.models import Booking, Slot
from tiers_lieu.extensions import db

from .booking_helpers import make_slots, make_topic

CLIENTS = 50
HIDDEN = r'name="{}" type="hidden" value="([^"]+)"'


class Resident:
    """One browser: its own cookies, the form loaded before the rush."""

    def __init__(self, base, slot_id, number):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.url = f"{base}/book/slot/{slot_id}"
        page = self.opener.open(self.url + "?topic=demarches", timeout=30).read().decode()
        self.form = {
            "csrf_token": re.search(HIDDEN.format("csrf_token"), page).group(1),
            "request_key": re.search(HIDDEN.format("request_key"), page).group(1),
            "first_name": f"Résident {number}", "phone": f"06 12 34 {number // 100:02d} {number % 100:02d}",
            "email": "", "note": "", "language": "fr", "topic": "demarches",
        }

    def submit(self):
        request = urllib.request.Request(self.url, data=urllib.parse.urlencode(self.form).encode())
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def rush(base, slot_id, submit_twice=False):
    """Load the form in every browser, then send them all at the same instant."""
    residents = [Resident(base, slot_id, number) for number in range(CLIENTS)]
    barrier = threading.Barrier(CLIENTS)
    results = []
    lock = threading.Lock()

    def go(resident):
        barrier.wait()
        outcome = resident.submit()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=go, args=(resident,)) for resident in residents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def server(app, backend, database_urls):
    env = {**os.environ, "DATABASE_URL": database_urls[backend], "SECRET_KEY": "race-test-secret",
           "TIERS_LIEU_CONFIG": "config.Config"}
    with gunicorn(env, workers=4) as base:
        yield base


def seats_and_bookings(slot):
    db.session.expire_all()
    taken = db.session.get(Slot, slot.id).seats_taken
    count = db.session.execute(
        db.select(db.func.count(Booking.id)).where(Booking.slot_id == slot.id)).scalar_one()
    return taken, count


@pytest.mark.parametrize("capacity", [1, 5])
def test_fifty_residents_rushing_one_slot_get_exactly_its_seats(app, server, capacity):
    topic = make_topic()
    slot = make_slots(topic, capacity=capacity, title="Atelier" if capacity > 1 else None)[0]
    results = rush(server, slot.id)

    statuses = sorted(status for status, _ in results)
    assert 500 not in statuses
    # urllib follows the redirect to the confirmation page: 200 means booked.
    booked = [body for status, body in results if status == 200]
    refused = [body for status, body in results if status == 409]
    assert len(booked) == capacity
    assert len(refused) == CLIENTS - capacity
    assert all("vient d'être pris" in body.replace("&#39;", "'") for body in refused)
    assert seats_and_bookings(slot) == (capacity, capacity)


def test_the_same_form_sent_twice_at_once_books_once(app, server):
    topic = make_topic()
    slot = make_slots(topic, capacity=5, title="Atelier")[0]
    resident = Resident(server, slot.id, 7)
    barrier = threading.Barrier(4)
    results = []

    def click():
        barrier.wait()
        results.append(resident.submit())

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in results] == [200] * 4
    assert seats_and_bookings(slot) == (1, 1)
