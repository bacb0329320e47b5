"""Residents at the desk: tolerant search, consent gating their history, and booking for someone."""
import os
import threading

import pytest

from bench.harness import Browser, gunicorn, hidden_fields
from tiers_lieu.accounts.models import Role
from tiers_lieu.audit import AuditEvent
from tiers_lieu.booking.models import Booking, CallbackRequest, Slot
from tiers_lieu.desk.residents import directory as service
from tiers_lieu.desk.models import Attendee, HelpSession, Resident
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import OutboxMessage

from .factories import make_slots, make_topic
from .conftest import STAFF_PASSWORD, submit


def resident_form(**overrides):
    data = {"first_name": "Hélène", "last_name": "Lefèvre-Diop", "phone": "06 12 34 56 78", "email": "",
            "neighbourhood": "Fontbarlettes", "language": "fr", "birth_year": "", "age_bracket": ""}
    data.update(overrides)
    return data


def test_search_ignores_accents_case_spaces_hyphens_and_phone_formats(app, make_user):
    staff = make_user()
    helene = service.create(db.session, {"first_name": "Hélène", "last_name": "Lefèvre-Diop",
                                         "phone": "+33612345678"}, staff)
    service.create(db.session, {"first_name": "Karim", "phone": "+33699887766"}, staff)
    for text in ("helene", "HÉLÈNE lefevre", "lefevre diop", "Lefèvre-Diop Hélène", "06 12 34 56 78",
                 "+33612345678", "0612345678", "06.12.34.56.78", "34 56 78"):
        assert [r.id for r in service.search(db.session, text)] == [helene.id], text
    assert service.search(db.session, "") == []
    assert service.search(db.session, "%") == []
    assert service.search(db.session, "nobody") == []


@pytest.mark.parametrize("text", ["5678", "56 78", "56.78", "56-78", "4 56 78", "345678", "(34) 56 78"])
def test_the_last_four_or_more_digits_find_a_resident_however_written(app, make_user, text):
    """Issue 11: a partial number found nobody."""
    staff = make_user()
    helene = service.create(db.session, {"first_name": "Hélène", "phone": "+33612345678"}, staff)
    service.create(db.session, {"first_name": "Karim", "phone": "+33699887766"}, staff)
    service.create(db.session, {"first_name": "Zoé", "phone": "+33656781234"}, staff)  # 5678 in the middle
    assert [r.id for r in service.search(db.session, text)] == [helene.id], text


def test_fewer_than_four_digits_do_not_search_by_phone(app, make_user):
    staff = make_user()
    service.create(db.session, {"first_name": "Hélène", "phone": "+33612345678"}, staff)
    for text in ("678", "78", "7 8"):
        assert service.search(db.session, text) == [], text


def test_partial_phone_search_from_the_page(client, login_as):
    staff = login_as()
    service.create(db.session, {"first_name": "Hélène", "phone": "+33612345678"}, staff)
    assert "Hélène" in client.get("/desk/residents/?q=56+78").page


def test_pages_need_a_staff_login(client):
    for url in ("/desk/residents/", "/desk/residents/1", "/desk/book"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_create_find_and_history_only_with_consent(client, login_as, make_booking):
    staff = login_as()
    response = submit(client, "/desk/residents/new", resident_form(phone="12", email="pas-une-adresse"))
    assert response.status_code == 200 and "Hélène" in response.page and "ne semble pas correct" in response.page
    response = submit(client, "/desk/residents/new", resident_form(first_name=""))
    assert response.status_code == 200
    response = submit(client, "/desk/residents/new", resident_form(birth_year="1956"))
    assert response.status_code == 302
    resident = db.session.execute(db.select(Resident)).scalar_one()
    assert resident.phone == "+33612345678" and resident.age_bracket == "60_69" or resident.age_bracket == "70_plus"
    assert "Lefèvre" in client.get("/desk/residents/?q=lefevre").page

    topic = make_topic()
    slot = make_slots(topic, days_ahead=2)[0]
    booking = make_booking(slot, topic=topic, resident_id=resident.id)
    db.session.add(HelpSession(day=slot.starts_at.date(), duration_minutes=30, facilitator_id=staff.id,
                               autonomy="partly", attendees=[Attendee(resident_id=resident.id)]))
    db.session.commit()
    page = client.get(f"/desk/residents/{resident.id}").page
    assert "n'a pas accepté" in page and "Rendez-vous à venir" not in page

    response = submit(client, f"/desk/residents/{resident.id}/consent", {}, form_url=f"/desk/residents/{resident.id}")
    assert response.status_code == 302
    page = client.get(f"/desk/residents/{resident.id}").page
    assert "Rendez-vous à venir" in page and "Autonome avec aide ponctuelle" in page
    assert staff.display_name in page
    assert booking.code not in page

    response = submit(client, f"/desk/residents/{resident.id}/consent/withdraw", {},
                      form_url=f"/desk/residents/{resident.id}")
    assert response.status_code == 302
    assert db.session.execute(db.select(db.func.count(Attendee.id)).where(Attendee.resident_id == resident.id)).scalar_one() == 0
    actions = [e.action for e in db.session.execute(db.select(AuditEvent).where(
        AuditEvent.target_type == "resident").order_by(AuditEvent.id)).scalars()]
    assert actions[0] == "resident.created" and "resident.viewed" in actions
    assert "resident.consent_given" in actions and actions[-1] == "resident.consent_withdrawn"
    assert all("Hélène" not in str(e.details) for e in db.session.execute(db.select(AuditEvent)).scalars())
    assert client.get("/desk/residents/99999").status_code == 404


def test_link_a_booking_to_a_resident(client, login_as, make_booking):
    login_as()
    topic = make_topic()
    booking = make_booking(make_slots(topic)[0], topic=topic, first_name="Awa")
    page = client.get(f"/desk/residents/new?booking={booking.id}").page
    assert 'value="Awa"' in page
    response = submit(client, f"/desk/residents/new?booking={booking.id}", resident_form(first_name="Awa"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).resident_id is not None
    other = service.create(db.session, {"first_name": "Awa", "last_name": "Diallo"}, None)
    response = submit(client, f"/desk/bookings/{booking.id}/resident", {"resident_id": str(other.id)},
                      form_url=f"/desk/residents/?booking={booking.id}&q=awa")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).resident_id == other.id


def test_link_a_walk_in_ticket_to_a_resident_whose_session_is_then_remembered(client, login_as):
    from datetime import date

    from tiers_lieu.desk.reception import queue
    from tiers_lieu.desk.models import QueueTicket

    staff = login_as()
    topic = make_topic()
    ticket = queue.issue(db.session, day=date.today(), topic_id=topic.id, first_name="Rachid")
    page = client.get(f"/desk/residents/new?ticket={ticket.id}").page
    assert 'value="Rachid"' in page and ticket.label in page
    response = submit(client, f"/desk/residents/new?ticket={ticket.id}", resident_form(first_name="Rachid"))
    assert response.status_code == 302
    db.session.expire_all()
    person = db.session.get(QueueTicket, ticket.id).resident
    assert person is not None and person.first_name == "Rachid"
    other = service.create(db.session, {"first_name": "Rachid", "last_name": "Benali"}, None)
    service.give_consent(db.session, other, staff)
    response = submit(client, f"/desk/tickets/{ticket.id}/resident", {"resident_id": str(other.id)},
                      form_url=f"/desk/residents/?ticket={ticket.id}&q=rachid")
    assert response.status_code == 302
    assert submit(client, f"/desk/tickets/{ticket.id}/resident", {"resident_id": "x"},
                  form_url=f"/desk/residents/?ticket={ticket.id}").status_code == 400
    assert client.get("/desk/residents/?ticket=999999").status_code == 404
    db.session.expire_all()
    assert db.session.get(QueueTicket, ticket.id).resident_id == other.id
    form = client.get(f"/desk/sessions/new?ticket={ticket.id}").page
    assert "Benali" in form  # the session from the ticket is about the linked, remembered resident


def test_book_a_follow_up_for_a_resident(client, login_as):
    staff = login_as()
    topic = make_topic()
    slots = make_slots(topic, count=2, days_ahead=0, hour=23)  # today: too soon online, fine at the desk
    resident = service.create(db.session, {"first_name": "Kossi", "phone": "+33611223344", "language": "fr"}, staff)
    page = client.get(f"/desk/book?resident={resident.id}&topic={topic.slug}").page
    assert 'value="Kossi"' in page and "06 11 22 33 44" in page
    response = submit(client, f"/desk/book?resident={resident.id}&topic={topic.slug}", {
        "slot": str(slots[0].id), "first_name": "Kossi", "phone": "06 11 22 33 44", "email": "",
        "note": "", "language": "fr", "reminder_consent": "y", "request_key": "k" * 20})
    assert response.status_code == 302, response.page
    db.session.expire_all()
    booking = db.session.execute(db.select(Booking)).scalar_one()
    assert booking.booked_by_id == staff.id and booking.resident_id == resident.id
    assert db.session.get(Slot, slots[0].id).seats_taken == 1
    done = client.get(response.headers["Location"]).page
    assert f"{booking.code[:3]}-{booking.code[3:]}" in done
    assert db.session.execute(db.select(db.func.count(OutboxMessage.id))).scalar_one() >= 1

    # The same slot again: taken, with the other free times offered.
    response = submit(client, f"/desk/book?resident={resident.id}&topic={topic.slug}", {
        "slot": str(slots[0].id), "first_name": "Kossi", "phone": "06 11 22 33 44", "email": "",
        "note": "", "language": "fr", "request_key": "m" * 20})
    assert response.status_code == 409 and "vient d'être pris" in response.page
    assert f'value="{slots[1].id}"' in response.page
    # A remembered resident's follow-up starts on the topic of their latest booking.
    service.give_consent(db.session, resident, staff)
    assert f'value="{topic.slug}" selected' in client.get(f"/desk/book?resident={resident.id}").page
    assert client.get("/desk/book?resident=99999").status_code == 404
    assert client.get("/desk/book?topic=nope").status_code == 404


def test_a_call_back_booked_on_the_phone_is_handled(client, login_as):
    staff = login_as()
    topic = make_topic()
    slot = make_slots(topic, days_ahead=3)[0]
    callback = CallbackRequest(topic_id=topic.id, first_name="Monique", phone="+33622334455", language="fr")
    db.session.add(callback)
    db.session.commit()
    page = client.get(f"/desk/book?callback={callback.id}").page
    assert 'value="Monique"' in page and f'value="{slot.id}"' in page
    response = submit(client, f"/desk/book?callback={callback.id}", {
        "slot": str(slot.id), "first_name": "Monique", "phone": "06 22 33 44 55", "email": "", "note": "",
        "language": "fr", "request_key": "c" * 20})
    assert response.status_code == 302
    db.session.expire_all()
    callback = db.session.get(CallbackRequest, callback.id)
    assert callback.handled_at is not None and callback.handled_by_id == staff.id


def test_a_call_back_is_booked_from_the_call_back_requests_page(client, login_as):
    """Issue 11: the page told staff to book a time but offered only "mark as handled"."""
    import re

    staff = login_as()
    topic = make_topic()
    slot = make_slots(topic, days_ahead=3)[0]
    callback = CallbackRequest(topic_id=topic.id, first_name="Monique", phone="+33622334455", language="fr")
    other = CallbackRequest(topic_id=topic.id, first_name="Rachid", phone="+33633445566", language="fr")
    db.session.add_all([callback, other])
    db.session.commit()

    listing = client.get("/desk/callbacks").page
    book_url = re.search(rf'href="(/desk/book\?callback={callback.id}[^"]*)"', listing).group(1).replace("&amp;", "&")
    form = client.get(book_url).page
    assert 'value="Monique"' in form and f'value="{slot.id}"' in form
    assert 'href="/desk/callbacks"' in form  # the way back leads where the facilitator came from
    response = submit(client, book_url, {
        "slot": str(slot.id), "first_name": "Monique", "phone": "06 22 33 44 55", "email": "", "note": "",
        "language": "fr", "request_key": "d" * 20})
    assert response.status_code == 302
    done = client.get(response.headers["Location"]).page
    assert "Retour aux demandes de rappel" in done and 'href="/desk/callbacks"' in done

    db.session.expire_all()
    assert db.session.get(CallbackRequest, callback.id).handled_by_id == staff.id
    assert db.session.get(CallbackRequest, other.id).handled_at is None
    booking = db.session.execute(db.select(Booking)).scalar_one()
    assert (booking.slot_id, booking.first_name, booking.booked_by_id) == (slot.id, "Monique", staff.id)
    listing = client.get("/desk/callbacks").page
    assert "Monique" not in listing and "Rachid" in listing


@pytest.fixture
def server(app, backend, database_urls):
    env = {**os.environ, "DATABASE_URL": database_urls[backend], "SECRET_KEY": "race-test-secret",
           "TIERS_LIEU_CONFIG": "config.Config", "RATELIMIT_STORAGE_URI": "memory://"}
    with gunicorn(env, workers=3) as base:
        yield base


def test_desk_and_online_bookings_never_share_a_seat(app, make_user, server):
    topic = make_topic()
    slot = make_slots(topic, days_ahead=3)[0]
    staff = [make_user(role=Role.FACILITATOR) for _ in range(3)]
    clients = []
    for number, user in enumerate(staff):
        browser = Browser(server)
        page = browser.get("/login")[1]
        browser.post("/login", {"email": user.email, "password": STAFF_PASSWORD,
                                "csrf_token": hidden_fields(page)["csrf_token"]})
        fields = hidden_fields(browser.get(f"/desk/book?topic={topic.slug}")[1])
        clients.append((browser, f"/desk/book?topic={topic.slug}", {
            **fields, "slot": str(slot.id), "first_name": f"Desk {number}",
            "phone": f"06 10 20 30 4{number}", "email": "", "note": "", "language": "fr"}))
    for number in range(5):
        browser = Browser(server)
        fields = hidden_fields(browser.get(f"/book/slot/{slot.id}?topic={topic.slug}")[1])
        clients.append((browser, f"/book/slot/{slot.id}", {
            **fields, "first_name": f"Online {number}", "phone": f"06 50 60 70 8{number}", "email": "",
            "note": "", "language": "fr", "topic": topic.slug}))
    barrier = threading.Barrier(len(clients))
    statuses = []

    def go(browser, url, form):
        barrier.wait()
        statuses.append(browser.post(url, form)[0])

    threads = [threading.Thread(target=go, args=client) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 500 not in statuses
    assert statuses.count(302) == 1 and statuses.count(409) == len(clients) - 1
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).seats_taken == 1
    assert db.session.execute(db.select(db.func.count(Booking.id))).scalar_one() == 1
