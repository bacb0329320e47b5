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
from tiers_lieu.booking.codes import format_code
from tiers_lieu.booking.models import Booking, Slot
from tiers_lieu.extensions import db

from .factories import make_slots, make_topic

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
        status, _, body = self.send()
        return status, body

    def send(self):
        """Post the form; return the status, the address landed on after redirects, and the page."""
        request = urllib.request.Request(self.url, data=urllib.parse.urlencode(self.form).encode())
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.url, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.url, error.read().decode()


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


def click_many_times(resident, clicks):
    """Send one browser's form `clicks` times at the same instant (an impatient double-click)."""
    barrier = threading.Barrier(clicks)
    results = []
    lock = threading.Lock()

    def click():
        barrier.wait()
        outcome = resident.send()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=click) for _ in range(clicks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_the_same_form_sent_ten_times_at_once_books_once_and_shows_that_booking(app, server):
    """The clicks that lose the race for a seat lose it to their own booking: each is shown that
    booking, none is told the slot was taken by someone else. A workshop, then three one-seat
    slots (the last seat: the interleaving differs from one round to the next)."""
    topic = make_topic()
    workshop = make_slots(topic, capacity=5, title="Atelier")[0]
    for number, slot in enumerate([workshop, *make_slots(topic, count=3, hour=14)]):
        resident = Resident(server, slot.id, number)
        results = click_many_times(resident, 10)

        assert seats_and_bookings(slot) == (1, 1)
        booking = db.session.execute(db.select(Booking).where(Booking.slot_id == slot.id)).scalar_one()
        assert booking.request_key == resident.form["request_key"]
        for status, url, body in results:
            assert status == 200, body
            assert "/booking/" in url and url.endswith("?new=1")
            assert format_code(booking.code) in body
        assert len({url for _, url, _ in results}) == 1
