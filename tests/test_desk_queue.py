"""The walk-in queue: numbered tickets of the day, called in order, never twice."""
import threading
from datetime import date, datetime, timedelta, timezone

import pytest

from tiers_lieu.accounts.models import Role
from tiers_lieu.desk.reception import queue
from tiers_lieu.desk.models import QueueTicket, TicketSource, TicketStatus
from tiers_lieu.extensions import db

from .factories import make_topic
from .conftest import log_in, submit

DAY = date(2030, 7, 1)
THREADS = 8


@pytest.fixture
def topic(app):
    return make_topic()


@pytest.fixture
def staff(client, make_user):
    def login(role=Role.FACILITATOR):
        user = make_user(role=role, language="en")
        assert log_in(client, user.email).status_code == 302
        return user

    return login


def tickets():
    db.session.expire_all()
    return db.session.execute(db.select(QueueTicket).order_by(QueueTicket.number)).scalars().all()


def flashed(client, response):
    return client.get(response.headers["Location"]).page


# --- the service ---------------------------------------------------------------------------

def test_numbers_follow_each_other_and_restart_each_day(app, topic):
    first = queue.issue(db.session, day=DAY, topic_id=topic.id, first_name="Awa")
    second = queue.issue(db.session, day=DAY, topic_id=topic.id)
    next_day = queue.issue(db.session, day=DAY + timedelta(days=1), topic_id=topic.id)
    assert (first.label, second.label, next_day.label) == ("A-001", "A-002", "A-001")
    assert second.first_name is None and first.status == TicketStatus.WAITING.value


def test_the_queue_is_first_come_first_served_with_waiting_times(app, topic):
    start = datetime(2030, 7, 1, 8, tzinfo=timezone.utc)
    queue.issue(db.session, day=DAY, topic_id=topic.id, first_name="Early", now=start)
    queue.issue(db.session, day=DAY, topic_id=topic.id, first_name="Later", now=start + timedelta(minutes=7))
    waiting = queue.with_waiting_times(queue.waiting(db.session, DAY), start + timedelta(minutes=12))
    assert [(item.ticket.first_name, item.minutes) for item in waiting] == [("Early", 12), ("Later", 5)]
    called = queue.call_next(db.session, day=DAY, user_id=None, desk="2")
    assert called.first_name == "Early" and called.desk == "2" and called.status == "called"
    assert queue.call_next(db.session, day=DAY, user_id=None, desk="1").first_name == "Later"
    assert queue.call_next(db.session, day=DAY, user_id=None, desk="1") is None
    assert [tuple(call[:2]) for call in queue.recent_calls(db.session, DAY)] == [(2, "1"), (1, "2")]


def test_served_left_and_recall_follow_the_ticket_states(app, topic):
    ticket = queue.issue(db.session, day=DAY, topic_id=topic.id)
    with pytest.raises(queue.QueueRefused) as refused:
        queue.close(db.session, ticket, TicketStatus.SERVED, day=DAY)
    assert refused.value.reason is queue.QueueRefusal.NOT_CALLED
    with pytest.raises(queue.QueueRefused) as refused:
        queue.close(db.session, ticket, TicketStatus.LEFT, day=DAY + timedelta(days=1))
    assert refused.value.reason is queue.QueueRefusal.NOT_TODAY
    queue.call_next(db.session, day=DAY, user_id=None, desk="2")
    queue.recall(db.session, ticket, user_id=None, desk="3", day=DAY)
    assert ticket.desk == "3" and ticket.status == "called"
    queue.close(db.session, ticket, TicketStatus.SERVED, day=DAY)
    assert ticket.status == "served" and ticket.closed_at is not None
    for action in (lambda: queue.close(db.session, ticket, TicketStatus.LEFT, day=DAY),
                   lambda: queue.recall(db.session, ticket, user_id=None, desk="1", day=DAY)):
        with pytest.raises(queue.QueueRefused) as refused:
            action()
        assert refused.value.reason is queue.QueueRefusal.CLOSED
    walker = queue.issue(db.session, day=DAY, topic_id=topic.id)
    queue.close(db.session, walker, TicketStatus.LEFT, day=DAY)
    assert walker.status == "left"


# --- concurrency: each thread has its own session, as each request does -----------------------

def run_together(app, work, count=THREADS):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def worker(index):
        with app.app_context():
            try:
                barrier.wait()
                results.append(work(index))
            except Exception as error:  # reported below, with the thread's traceback
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


def test_tickets_issued_at_the_same_moment_get_different_numbers(app, topic):
    topic_id = topic.id
    db.session.remove()
    numbers = run_together(app, lambda index: queue.issue(db.session, day=DAY, topic_id=topic_id,
                                                           first_name=f"P{index}").number)
    assert sorted(numbers) == list(range(1, THREADS + 1))
    assert [ticket.number for ticket in tickets()] == list(range(1, THREADS + 1))


@pytest.mark.parametrize("waiting", [3, THREADS + 2])
def test_two_facilitators_calling_at_once_never_get_the_same_ticket(app, topic, make_user, waiting):
    users = [make_user().id for _ in range(THREADS)]
    for number in range(waiting):
        queue.issue(db.session, day=DAY, topic_id=topic.id, now=datetime(2030, 7, 1, 8, number, tzinfo=timezone.utc))
    db.session.remove()

    def call(index):
        ticket = queue.call_next(db.session, day=DAY, user_id=users[index], desk=str(index))
        return None if ticket is None else (ticket.id, users[index])

    results = [result for result in run_together(app, call) if result is not None]
    given = [ticket_id for ticket_id, _user in results]
    assert len(given) == len(set(given)) == min(waiting, THREADS)
    rows = {ticket.id: ticket for ticket in tickets()}
    for ticket_id, user_id in results:
        assert rows[ticket_id].called_by_id == user_id and rows[ticket_id].status == "called"
    if waiting > THREADS:
        # The earliest were called first.
        assert sorted(rows[ticket_id].number for ticket_id in given) == list(range(1, THREADS + 1))


# --- the pages -------------------------------------------------------------------------------

def test_a_walk_in_gets_a_ticket_at_the_desk(client, staff, topic):
    staff()
    response = submit(client, "/desk/tickets", {"first_name": " Ali ", "topic": str(topic.id)}, form_url="/desk/")
    assert response.status_code == 302
    page = flashed(client, response)
    assert "Ticket A-001 given." in page and "1 person waiting" in page and "waiting for 0 minutes" in page
    [ticket] = tickets()
    assert ticket.first_name == "Ali" and ticket.source == TicketSource.DESK.value and ticket.topic_id == topic.id


def test_a_walk_in_without_topic_is_refused(client, staff, topic):
    staff()
    for data in ({}, {"topic": "abc"}, {"topic": "999999"}):
        response = submit(client, "/desk/tickets", data, form_url="/desk/")
        assert "Choose what the visit is about" in flashed(client, response)
    assert tickets() == []


def test_call_next_from_the_desk_remembers_the_desk(client, staff, topic):
    user = staff()
    response = submit(client, "/desk/queue/next", {"desk": "2"}, form_url="/desk/")
    assert "Nobody is waiting at the moment." in flashed(client, response)
    submit(client, "/desk/tickets", {"first_name": "Lou", "topic": str(topic.id)}, form_url="/desk/")
    response = submit(client, "/desk/queue/next", {"desk": "2"}, form_url="/desk/")
    page = flashed(client, response)
    assert "Call A-001 to desk 2." in page
    [ticket] = tickets()
    assert ticket.called_by_id == user.id and ticket.desk == "2"
    assert f"/desk/sessions/new?ticket={ticket.id}" in page
    assert 'name="desk" type="text" value="2"' in page or 'value="2"' in page
    response = submit(client, "/desk/queue/next", {"desk": ""}, form_url="/desk/")
    assert "Write the name or number of your desk" in flashed(client, response)


def test_served_left_and_recall_from_the_desk(client, staff, topic):
    staff()
    submit(client, "/desk/tickets", {"topic": str(topic.id)}, form_url="/desk/")
    [ticket] = tickets()
    response = submit(client, f"/desk/tickets/{ticket.id}/served", {}, form_url="/desk/")
    assert "Call this ticket before marking it as served." in flashed(client, response)
    submit(client, "/desk/queue/next", {"desk": "Accueil"}, form_url="/desk/")
    response = submit(client, f"/desk/tickets/{ticket.id}/recall", {}, form_url="/desk/")
    assert "A-001 is called again." in flashed(client, response)
    submit(client, f"/desk/tickets/{ticket.id}/served", {}, form_url="/desk/")
    assert tickets()[0].status == "served"
    response = submit(client, f"/desk/tickets/{ticket.id}/left", {}, form_url="/desk/")
    assert "already closed" in flashed(client, response)
    assert submit(client, "/desk/tickets/999999/served", {}, form_url="/desk/").status_code == 404
    assert submit(client, f"/desk/tickets/{ticket.id}/delete", {}, form_url="/desk/").status_code == 404


def test_queue_actions_need_a_staff_login(client, topic):
    ticket = queue.issue(db.session, day=DAY, topic_id=topic.id)
    for url in ("/desk/tickets", "/desk/queue/next", f"/desk/tickets/{ticket.id}/served"):
        response = client.post(url, data={"desk": "1", "topic": topic.id})
        assert response.status_code in (302, 400)
    assert tickets()[0].status == "waiting"
