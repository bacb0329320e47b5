"""`flask privacy purge`: the retention settings applied in batches, the statistics unchanged, a
purge stopped mid-way leaving whole rows, and two purges at once never changing a row twice."""
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from tiers_lieu.accounts.models import StaffSession
from tiers_lieu.audit import AuditEvent
from tiers_lieu.booking import reservations
from tiers_lieu.booking.models import Booking, CallbackRequest, Slot
from tiers_lieu.desk.models import Attendee, HelpSession, QueueTicket, Resident
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import OutboxMessage
from tiers_lieu.privacy import purge as purging
from tiers_lieu.privacy import retention
from tiers_lieu.stats import figures, queries

from .test_stats_daily_counts import recounted, stored

PARIS = ZoneInfo("Europe/Paris")
ONE_MONTH = {name: 1 for name in retention.DEFAULTS.__dataclass_fields__ if name.endswith("_months")}


def everything_counted(today):
    """Every figure of the dashboard (headline and tables) for periods old and recent, as plain values."""
    periods = [(today - timedelta(days=120), today), (today - timedelta(days=120), today - timedelta(days=60)),
               (today - timedelta(days=30), today), (today - timedelta(days=400), today)]
    seen = []
    for start, end in periods:
        counted = figures.figures(db.session, queries.Filters(start, end), PARIS)
        seen.append([(key, value) for key, _, value, _ in counted.headline])
        seen.append([(section.key, table.key, [tuple(map(str, row)) for row in table.rows])
                     for section in counted.sections for table in section.tables])
    return seen


@pytest.fixture
def history(generated_history, make_user):
    """Four months of generated activity, with notes on sessions and messages sent, kept one month."""
    made = generated_history(days=120, seed=11, residents=80)
    now = datetime.now(timezone.utc)
    sessions = db.session.scalars(select(HelpSession.id).order_by(HelpSession.id)).all()
    db.session.execute(update(HelpSession).where(HelpSession.id.in_(sessions[::7])).values(note="Parle de Mme Diallo"))
    bookings = db.session.execute(select(Booking.id, Booking.email, Slot.starts_at)
                                  .join(Slot, Slot.id == Booking.slot_id).order_by(Booking.id)).all()
    for booking_id, email, starts_at in bookings[::5]:
        db.session.add(OutboxMessage(channel="email", recipient=email or "someone@example.org", language="fr",
                                     subject="Votre rendez-vous", body="Bonjour Awa", status="sent",
                                     sent_at=min(starts_at, now), created_at=min(starts_at, now),
                                     booking_id=booking_id, kind="confirmation"))
    facilitator = make_user()
    db.session.add(AuditEvent(at=now - timedelta(days=90), actor_id=facilitator.id, action="resident.viewed",
                              target_type="resident", target_id=1, details={}))
    db.session.add(AuditEvent(at=now - timedelta(days=2), actor_id=facilitator.id, action="resident.viewed",
                              target_type="resident", target_id=1, details={}))
    db.session.add(StaffSession(user_id=facilitator.id, token_hash="a" * 64, expires_at=now - timedelta(hours=1)))
    db.session.add(StaffSession(user_id=facilitator.id, token_hash="b" * 64, expires_at=now + timedelta(hours=1)))
    retention.save(db.session, actor=None, **ONE_MONTH)
    db.session.commit()
    return made


def due(now=None):
    return purging.purge(db.session, now=now, dry_run=True)


def test_the_purge_keeps_every_figure_and_anonymises_what_is_due(history):
    today, now = history["today"], datetime.now(timezone.utc)
    before = everything_counted(today)
    will = due()
    assert all(will[name] > 0 for name in ("bookings", "residents", "session_notes", "callbacks", "messages",
                                           "ticket_names", "staff_logins", "audit_authors")), will

    done = purging.purge(db.session, batch_size=37)

    assert done == will
    db.session.expire_all()
    assert everything_counted(today) == before
    assert stored() == recounted()
    assert set(due().values()) == {0}
    cutoff = retention.current(db.session).cutoff("booking_months", now)
    old = db.session.scalars(select(Booking).join(Slot).where(Slot.starts_at < cutoff)).all()
    recent = db.session.scalars(select(Booking).join(Slot).where(Slot.starts_at >= cutoff)).all()
    assert old and recent
    assert all(b.first_name == "" and b.phone is None and b.email is None and b.token_hash is None
               and b.resident_id is None and b.anonymised_at for b in old)
    assert all(b.first_name and b.token_hash and b.anonymised_at is None for b in recent)
    # A resident helped or booked within the month keeps their record; the others are emptied.
    active = set(db.session.scalars(select(Attendee.resident_id).join(HelpSession)
                                    .where(HelpSession.day >= (now - timedelta(days=31)).astimezone(PARIS).date())))
    kept = db.session.scalars(select(Resident).where(Resident.anonymised_at.is_(None))).all()
    emptied = db.session.scalars(select(Resident).where(Resident.anonymised_at.is_not(None))).all()
    assert emptied and active and active - {None} <= {resident.id for resident in kept}
    assert all(r.first_name == "" and r.last_name is None and r.phone is None and r.email is None
               and r.name_key == "" for r in emptied)
    assert db.session.scalar(select(func.count()).where(HelpSession.note.is_not(None),
                                                        HelpSession.day < today - timedelta(days=31))) == 0
    assert db.session.scalar(select(func.count()).where(HelpSession.note.is_not(None))) > 0   # recent notes stay
    assert all(c.first_name == "" and c.phone == "" for c in db.session.scalars(
        select(CallbackRequest).where(CallbackRequest.handled_at < now - timedelta(days=31))))
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert {m.status for m in messages} == {"sent"}   # still counted as sent
    assert all(m.recipient == "" and m.body == "" for m in messages if m.anonymised_at)
    assert db.session.scalar(select(func.count()).where(QueueTicket.first_name.is_not(None),
                                                        QueueTicket.day < today)) == 0
    assert db.session.scalars(select(StaffSession.token_hash)).all() == ["b" * 64]
    assert db.session.scalars(select(AuditEvent.actor_id).where(AuditEvent.at < now - timedelta(days=60))).all() == [None]
    assert db.session.scalars(select(AuditEvent.actor_id).where(AuditEvent.at > now - timedelta(days=5),
                                                                AuditEvent.action == "resident.viewed")).one()


def test_a_purge_stopped_mid_way_leaves_each_row_whole_and_the_next_run_finishes(history, monkeypatch):
    fields = (Booking.first_name, Booking.phone, Booking.email, Booking.token_hash, Booking.resident_id,
              Booking.anonymised_at)
    original = {row[0]: row[1:] for row in db.session.execute(select(Booking.id, *fields))}
    due_before = due()["bookings"]
    batches = []

    def dies_in_the_third_batch(session, ids, now):
        changed = reservations.anonymise(session, ids, now)
        batches.append(changed)
        if len(batches) == 3:
            raise RuntimeError("the server was switched off")
        return changed

    rules = tuple(purging.Rule(rule.name, rule.label, rule.due, dies_in_the_third_batch)
                  if rule.name == "bookings" else rule for rule in purging.RULES)
    monkeypatch.setattr(purging, "RULES", rules)
    with pytest.raises(RuntimeError):
        purging.purge(db.session, batch_size=20)
    db.session.rollback()

    rows = {row[0]: row[1:] for row in db.session.execute(select(Booking.id, *fields))}
    anonymised = {booking_id for booking_id, row in rows.items() if row[-1] is not None}
    assert len(anonymised) == 40   # two batches committed, the third rolled back whole
    for booking_id, row in rows.items():
        if booking_id in anonymised:
            assert row[:-1] == ("", None, None, None, None)
        else:
            assert row == original[booking_id]

    monkeypatch.undo()
    assert due()["bookings"] == due_before - 40
    assert purging.purge(db.session, batch_size=20)["bookings"] == due_before - 40
    assert due()["bookings"] == 0


def test_two_purges_at_once_change_each_row_once(app, history):
    will = due()
    results, errors = [], []
    start = threading.Barrier(2)

    def run():
        with app.app_context():
            try:
                start.wait(timeout=10)
                results.append(purging.purge(db.session, batch_size=25))
            except Exception as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    # Between them, each row due was changed once: the counts add up to what was due.
    assert {name: sum(result[name] for result in results) for name in will} == will
    db.session.expire_all()
    assert set(due().values()) == {0}


def test_the_command_prints_counts_never_values(history, runner, caplog):
    dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run" in dry.output and due()["bookings"] > 0
    done = runner.invoke(args=["privacy", "purge", "--batch-size", "100"])
    assert done.exit_code == 0, done.output
    names = db.session.scalars(select(Resident.first_name).where(Resident.first_name != "")).all()
    phones = db.session.scalars(select(Booking.phone).where(Booking.phone.is_not(None))).all()
    printed = dry.output + done.output + caplog.text
    assert names and phones
    assert not any(value in printed for value in names + phones)
    assert "Mme Diallo" not in printed
    assert set(due().values()) == {0}


@pytest.mark.parametrize("value", [0, -3, 121, 10 ** 9, True, "12", None])
def test_retention_out_of_range_is_refused_and_nothing_saved(app, value):
    with pytest.raises(retention.RetentionError) as refused:
        retention.save(db.session, actor=None, booking_months=value)
    assert refused.value.field == "booking_months" and "entre 1 et 120" in str(refused.value)  # French: the default
    db.session.rollback()
    assert retention.current(db.session) == retention.DEFAULTS
