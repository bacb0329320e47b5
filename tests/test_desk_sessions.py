"""The help-session log: prefilled from a booking, a ticket or a workshop, saved, edited and audited."""
from datetime import datetime, timedelta

import re

import pytest

from tiers_lieu.accounts.models import Role
from tiers_lieu.audit import AuditEvent
from tiers_lieu.booking.models import Booking, BookingStatus
from tiers_lieu.database import utcnow
from tiers_lieu.desk.lists import ensure_default_lists
from tiers_lieu.desk.sessions.log import ADMIN_TOPIC_SLUGS
from tiers_lieu.desk.models import Attendee, HelpSession, Need, QueueTicket, Resident, TicketStatus
from tiers_lieu.extensions import db

from .factories import PARIS, make_slots, make_topic
from .conftest import csrf_token_from


def today():
    return datetime.now(PARIS).date()


def session_form(**overrides):
    data = {"kind": "individual", "day": today().isoformat(), "start_time": "10:00", "duration": "30",
            "duration_other": "", "channel": "on_site", "equipment": "computer", "equipment_own": "no",
            "admin_domain": "", "procedure_name": "", "assistance": "with", "outcome": "resolved",
            "referral_target": "0", "participant_count": "1", "age_bracket": "unknown", "situation": "unknown",
            "neighbourhood": "", "first_visit": "", "note": "", "themes": "device_handling", "gender": "not_given",
            "commune": "", "other_postal_code": "", "workshop_title": ""}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def post_session(client, url, **overrides):
    page = client.get(url)
    assert page.status_code == 200, page.page
    data = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), **session_form(**overrides)}
    return client.post(url, data=data)


@pytest.fixture
def today_booking(app, make_booking):
    topic = make_topic()
    slot = make_slots(topic, days_ahead=0, hour=23)[0]
    return make_booking(slot, topic=topic, status=BookingStatus.CHECKED_IN)


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/desk/sessions/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_booking_prefills_the_form_and_saving_marks_it_seen(client, login_as, today_booking):
    ensure_default_lists(db.session)
    login_as()
    page = client.get(f"/desk/sessions/new?booking={today_booking.id}").page
    assert f'value="{today().isoformat()}"' in page
    topic_box = re.search(rf'<input[^>]*name="topics"[^>]*value="{today_booking.topic_id}"[^>]*>', page).group(0)
    assert "checked" in topic_box  # the booking's topic
    assert "mots de passe" in page.lower()  # the note's warning is always there
    need = db.session.execute(db.select(Need)).scalars().first()
    response = post_session(client, f"/desk/sessions/new?booking={today_booking.id}",
                            topics=str(today_booking.topic_id), needs=str(need.id), autonomy="partly",
                            admin_domain="money", procedure_name="prime d'activité", note="Revenir avec l'avis",
                            themes="admin_procedures")
    assert response.status_code == 302
    assert f"day={today().isoformat()}" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Booking, today_booking.id).status == "seen"
    logged = db.session.execute(db.select(HelpSession)).scalar_one()
    assert logged.duration_minutes == 30 and logged.autonomy == "partly" and logged.admin_domain == "money"
    assert [t.id for t in logged.topics] == [today_booking.topic_id]
    assert [n.id for n in logged.needs] == [need.id]
    attendee = db.session.execute(db.select(Attendee)).scalar_one()
    assert attendee.booking_id == today_booking.id and attendee.resident_id is None


def test_a_booking_for_an_administrative_procedure_asks_for_its_domain(client, login_as, today_booking):
    """Issue 11: the form opened from such a booking said "not an administrative procedure"."""
    login_as()
    assert today_booking.topic.slug in ADMIN_TOPIC_SLUGS
    page = client.get(f"/desk/sessions/new?booking={today_booking.id}").page
    topic_box = re.search(rf'<input[^>]*name="topics"[^>]*value="{today_booking.topic_id}"[^>]*>', page).group(0)
    assert "checked" in topic_box and "data-admin" in topic_box  # the domain's list shows (session-form.js)
    domain = re.search(r'<select[^>]*name="admin_domain".*?</select>', page, re.S).group(0)
    assert re.search(r'<option selected value="">Choisissez le domaine</option>', domain)
    assert "Pas une démarche administrative" not in page


def test_a_second_click_does_not_log_the_session_twice(client, login_as, today_booking):
    login_as()
    url = f"/desk/sessions/new?booking={today_booking.id}"
    assert post_session(client, url).status_code == 302
    response = post_session(client, url)
    logged = db.session.execute(db.select(HelpSession)).scalar_one()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/desk/sessions/{logged.id}/edit")
    assert "n'a pas été saisi deux fois" in client.get(response.headers["Location"]).page


def test_a_remembered_resident_is_linked_but_not_one_who_did_not_agree(client, login_as, today_booking):
    user = login_as()
    remembered = Resident(first_name="Hélène", name_key="helene", remember_consent_at=utcnow(),
                          remember_consent_by_id=user.id)
    db.session.add(remembered)
    db.session.commit()
    today_booking.resident_id = remembered.id
    db.session.commit()
    assert post_session(client, f"/desk/sessions/new?booking={today_booking.id}").status_code == 302
    attendee = db.session.execute(db.select(Attendee)).scalar_one()
    assert attendee.resident_id == remembered.id

    stranger = Resident(first_name="Karim", name_key="karim")
    db.session.add(stranger)
    db.session.commit()
    assert post_session(client, f"/desk/sessions/new?resident={stranger.id}").status_code == 302
    assert db.session.execute(
        db.select(db.func.count(Attendee.id)).where(Attendee.resident_id == stranger.id)).scalar_one() == 0


def test_a_one_seat_slot_is_logged_as_its_booking(client, login_as, today_booking):
    login_as()
    url = f"/desk/sessions/new?slot={today_booking.slot_id}"
    assert "Rendez-vous : Awa" in client.get(url).page
    assert post_session(client, url).status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, today_booking.id).status == "seen"
    assert db.session.execute(db.select(Attendee.booking_id)).scalar_one() == today_booking.id


def test_a_ticket_becomes_served(client, login_as, app):
    login_as()
    ticket = QueueTicket(day=today(), number=7, first_name="Awa")
    db.session.add(ticket)
    db.session.commit()
    assert "A-007" in client.get(f"/desk/sessions/new?ticket={ticket.id}").page
    assert post_session(client, f"/desk/sessions/new?ticket={ticket.id}", kind="quick", duration="15").status_code == 302
    db.session.expire_all()
    ticket = db.session.get(QueueTicket, ticket.id)
    assert ticket.status == TicketStatus.SERVED.value and ticket.closed_at is not None
    assert db.session.execute(db.select(HelpSession)).scalar_one().ticket_id == ticket.id


def test_a_workshop_is_logged_once_with_its_participants(client, login_as, make_booking):
    login_as()
    topic = make_topic()
    slot = make_slots(topic, days_ahead=0, hour=23, capacity=6, title="Atelier smartphone")[0]
    first = make_booking(slot, topic=topic, first_name="Awa")
    second = make_booking(slot, topic=topic, first_name="Kossi", code="T99999", token_hash="x" * 64)
    page = client.get(f"/desk/sessions/new?slot={slot.id}").page
    assert "Awa" in page and "Kossi" in page, page[page.find("<form"):][:3000]
    assert re.search(r"value=\"workshop\"[^>]*checked|checked[^>]*value=\"workshop\"", page)
    response = post_session(client, f"/desk/sessions/new?slot={slot.id}", kind="workshop", participant_count="5",
                            participants=[str(first.id), str(second.id)], duration="120",
                            workshop_title="Atelier smartphone")
    assert response.status_code == 302
    logged = db.session.execute(db.select(HelpSession)).scalar_one()
    assert logged.participant_count == 5 and logged.kind == "workshop" and logged.slot_id == slot.id
    assert sorted(a.booking_id for a in logged.attendees) == sorted([first.id, second.id])
    db.session.expire_all()
    assert {b.status for b in db.session.execute(db.select(Booking)).scalars()} == {"seen"}
    # Fewer participants than named ones is refused, with the typed values kept.
    response = post_session(client, f"/desk/sessions/new?slot={slot.id}", kind="workshop", participant_count="1",
                            participants=[str(first.id), str(second.id)], note="Bon groupe")
    assert response.status_code == 200 and "Bon groupe" in response.page


def test_bad_input_is_refused_clearly_and_nothing_typed_is_lost(client, login_as, today_booking, make_booking):
    login_as()
    url = f"/desk/sessions/new?booking={today_booking.id}"
    other_day = (today() + timedelta(days=3)).isoformat()
    response = post_session(client, url, day=other_day, note="Garder ce texte")
    assert response.status_code == 200
    assert "un autre jour" in response.page and "Garder ce texte" in response.page
    for minutes in ("0", "-5", "100000"):
        response = post_session(client, "/desk/sessions/new", duration="other", duration_other=minutes)
        assert response.status_code == 200 and "entre 1 et 480 minutes" in response.page
    response = post_session(client, "/desk/sessions/new", duration="other", duration_other="")
    assert "Indiquez la durée" in response.page
    response = post_session(client, "/desk/sessions/new", note="x" * 281)
    assert response.status_code == 200
    response = post_session(client, "/desk/sessions/new", outcome="referred")
    assert "Indiquez où la personne a été orientée" in response.page
    assert db.session.execute(db.select(db.func.count(HelpSession.id))).scalar_one() == 0

    cancelled = make_booking(today_booking.slot, topic=today_booking.topic, status=BookingStatus.CANCELLED_BY_RESIDENT,
                             code="T88888", token_hash="y" * 64)
    response = post_session(client, f"/desk/sessions/new?booking={cancelled.id}")
    assert response.status_code == 200 and "annulé" in response.page
    for bad in ("/desk/sessions/new?booking=999999", "/desk/sessions/new?ticket=999999",
                "/desk/sessions/new?slot=999999", "/desk/sessions/new?booking=abc"):
        response = client.get(bad)
        assert response.status_code == 404 and "Page introuvable" in response.page


def test_an_expired_form_comes_back_filled(app, client, login_as):
    login_as()
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/desk/sessions/new", data={**session_form(note="Texte gardé"), "csrf_token": "stale"})
    assert response.status_code == 400 and "Texte gardé" in response.page


def test_follow_up_offers_to_book_right_after(client, login_as, today_booking):
    login_as()
    response = post_session(client, f"/desk/sessions/new?booking={today_booking.id}", outcome="follow_up")
    assert response.status_code == 302 and "/desk/book?booking=" in response.headers["Location"]
    page = client.get(response.headers["Location"]).page
    assert "Awa" in page and "Pas maintenant" in page


def test_a_walk_in_follow_up_offers_the_free_times_of_the_session_topic(client, login_as, app):
    topic = make_topic()
    make_slots(topic, days_ahead=2, hour=10)
    login_as()
    ticket = QueueTicket(day=today(), number=3, topic_id=topic.id)
    db.session.add(ticket)
    db.session.commit()
    response = post_session(client, f"/desk/sessions/new?ticket={ticket.id}", outcome="follow_up",
                            topics=str(topic.id))
    assert response.status_code == 302
    assert "/desk/book?after=" in response.headers["Location"] and "topic=demarches" in response.headers["Location"]
    page = client.get(response.headers["Location"]).page
    assert 'value="demarches" selected' in page and 'name="slot"' in page  # the free times, straight away


def test_the_author_and_coordinators_edit_others_get_403_and_every_change_is_audited(client, login_as, make_user,
                                                                                       today_booking):
    from .conftest import log_in
    author = login_as()
    post_session(client, f"/desk/sessions/new?booking={today_booking.id}")
    logged = db.session.execute(db.select(HelpSession)).scalar_one()
    url = f"/desk/sessions/{logged.id}/edit"
    assert "Journal des modifications" in client.get(url).page or "Historique" in client.get(url).page
    assert post_session(client, url, duration="60", note="Changement").status_code == 302
    event = db.session.execute(
        db.select(AuditEvent).where(AuditEvent.action == "session.updated")).scalar_one()
    assert sorted(event.details["fields"]) == ["duration_minutes", "note"]
    assert "Changement" not in str(event.details)
    assert event.actor_id == author.id
    assert "Durée" in client.get(url).page
    assert str(logged.id) in client.get("/desk/sessions/").page

    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/desk/sessions/").get_data(as_text=True))})
    other = make_user()
    log_in(client, other.email)
    response = client.get(url)
    assert response.status_code == 403 and "Accès refusé" in response.page
    assert client.post(url, data=session_form()).status_code in (400, 403)
    assert client.get("/desk/sessions/99999/edit").status_code == 404

    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/desk/sessions/").get_data(as_text=True))})
    coordinator = make_user(role=Role.COORDINATOR)
    log_in(client, coordinator.email)
    assert post_session(client, url, outcome="unresolved", duration="60", note="Changement").status_code == 302
    events = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "session.updated")).scalars().all()
    assert events[-1].details["fields"] == ["outcome"] and events[-1].actor_id == coordinator.id


def test_the_english_form_is_translated(client, login_as):
    login_as()
    page = client.get("/desk/sessions/new?lang=en", headers={"Accept-Language": "en"}).page
    assert "Log a help session" in page and "Do not write health information" in page


def test_session_service_refuses_a_no_show(app, make_booking, make_user):
    from tiers_lieu.desk.sessions import log as service
    topic = make_topic()
    slot = make_slots(topic, days_ahead=0, hour=23)[0]
    booking = make_booking(slot, topic=topic, status=BookingStatus.NO_SHOW)
    origin = service.load_origin(db.session, booking_id=booking.id)
    data = service.SessionData(kind="individual", day=today(), start_time=None, duration_minutes=30,
                               channel="on_site")
    with pytest.raises(service.CannotLog) as refused:
        service.log_session(db.session, data, make_user(), origin)
    assert refused.value.problem is service.Problem.NO_SHOW
