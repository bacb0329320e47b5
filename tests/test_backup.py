"""`flask backup`: a copy taken while bookings and session saves flow is one consistent moment."""
import os
import stat
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select

from tiers_lieu.backup import copies
from tiers_lieu.backup.cli import backup as backup_group
from tiers_lieu.booking import reservations
from tiers_lieu.booking.availability import booking_rules
from tiers_lieu.booking.models import HOLDS_SEAT, Booking, Slot
from tiers_lieu.desk.models import HelpSession
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import OutboxMessage
from tiers_lieu.stats.daily_counts import SessionDayCount

from .factories import make_slots, make_topic

SLOTS = 400


def committed(engine, model):
    with engine.connect() as connection:
        return set(connection.execute(select(model.id)).scalars())


def test_a_backup_taken_during_a_burst_of_writes_restores_one_consistent_moment(app, make_user, blank_database_url,
                                                                                 tmp_path):
    topic = make_topic()
    slots = [slot.id for slot in make_slots(topic, count=SLOTS, days_ahead=3)]
    # Plain ids: the writers' threads must not touch the test's own session through these objects.
    topic_id, facilitator_id = topic.id, make_user().id
    today = datetime.now(timezone.utc).date()
    stop, errors, made = threading.Event(), [], Counter()

    def book():
        for number, slot_id in enumerate(slots):
            if stop.is_set():
                return
            with app.app_context():
                contact = reservations.Contact(first_name="Awa", phone=None, email=f"awa{number}@example.org",
                                               note=None, reminder_consent=True, language="fr")
                reservations.book(db.session, slot=reservations.load_slot(db.session, slot_id), topic_id=topic_id,
                                  contact=contact, rules=booking_rules(db.session))
                made["bookings"] += 1

    def log_sessions():
        number = 0
        while not stop.is_set():
            number += 1
            with app.app_context():
                db.session.add(HelpSession(day=today - timedelta(days=number % 30), duration_minutes=15 + number % 60,
                                           facilitator_id=facilitator_id, autonomy="partly", kind="individual"))
                db.session.commit()
                made["sessions"] += 1

    def guarded(work):
        def run():
            try:
                work()
            except Exception as error:  # reported below: a writer must not die silently
                errors.append(error)
        return run

    writers = [threading.Thread(target=guarded(work)) for work in (book, log_sessions)]
    for writer in writers:
        writer.start()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    source = create_engine(url)
    try:
        wait_for(lambda: made["bookings"] >= 20 and made["sessions"] >= 20, writers, errors)
        before = {"bookings": committed(source, Booking), "sessions": committed(source, HelpSession)}
        made_at_start = dict(made)
        taken = copies.create(url, tmp_path / "copies", keep=3)
        # The writers went on meanwhile.
        wait_for(lambda: made["bookings"] >= made_at_start["bookings"] + 20, writers, errors)
    finally:
        stop.set()
        for writer in writers:
            writer.join()
        source.dispose()
    assert not errors, errors

    assert stat.S_IMODE(os.stat(taken.path).st_mode) == 0o600
    copies.restore(taken.path, blank_database_url)
    restored = create_engine(blank_database_url)
    try:
        with restored.connect() as connection:
            bookings = set(connection.execute(select(Booking.id)).scalars())
            sessions = set(connection.execute(select(HelpSession.id)).scalars())
            # Every row committed before the backup began is in it.
            assert before["bookings"] <= bookings and before["sessions"] <= sessions
            # The app wrote more afterwards: the copy is of a moment, not of the end.
            assert len(bookings) < made["bookings"]
            # Nothing torn: seats equal the bookings holding them, slot by slot…
            holding = dict(connection.execute(
                select(Booking.slot_id, func.count()).where(Booking.status.in_(HOLDS_SEAT)).group_by(Booking.slot_id)
            ).all())
            seats = dict(connection.execute(select(Slot.id, Slot.seats_taken).where(Slot.id.in_(slots))).all())
            assert {slot_id: taken for slot_id, taken in seats.items() if taken} == holding
            # …the per-day counts equal the sessions, day by day…
            per_day = dict(connection.execute(select(HelpSession.day, func.count()).group_by(HelpSession.day)).all())
            counted = dict(connection.execute(select(SessionDayCount.day, SessionDayCount.sessions)
                                              .where(SessionDayCount.dimension == "total")).all())
            assert counted == per_day and sum(per_day.values()) == len(sessions)
            # …and every message has its booking (the outbox keeps no foreign key).
            messages = set(connection.execute(select(OutboxMessage.booking_id)
                                              .where(OutboxMessage.booking_id.is_not(None))).scalars())
            assert messages and messages <= bookings
    finally:
        restored.dispose()


def test_restore_refuses_a_database_that_is_not_empty_and_a_copy_of_the_other_kind(app, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    taken = copies.create(url, tmp_path, keep=1)
    with pytest.raises(copies.BackupError, match="not empty"):
        copies.restore(taken.path, url)
    other_kind = "sqlite:///" + str(tmp_path / "other.db") if url.startswith("postgresql") else \
        "postgresql+psycopg://nobody@127.0.0.1:1/none"
    with pytest.raises(copies.BackupError, match="Restore it into a database of the same kind"):
        copies.restore(taken.path, other_kind)
    stranger = tmp_path / "notes.txt"
    stranger.write_text("not a backup")
    with pytest.raises(copies.BackupError, match="not a backup of this application"):
        copies.restore(stranger, url)
    with pytest.raises(copies.BackupError, match="no file"):
        copies.restore(tmp_path / "missing.sqlite3", url)


def test_the_command_keeps_the_last_copies_and_says_so(app, tmp_path):
    folder = tmp_path / "copies"
    runner = CliRunner()
    for second in range(4):
        now = datetime(2026, 12, 3, 2, 0, second, tzinfo=timezone.utc)
        copies.create(app.config["SQLALCHEMY_DATABASE_URI"], folder, keep=3, now=now)
    assert [path.name.split(".")[0] for path in copies.kept(folder)] == [
        "tiers-lieu-20261203-020001", "tiers-lieu-20261203-020002", "tiers-lieu-20261203-020003"]
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    result = runner.invoke(backup_group, ["create", "--to", str(folder), "--keep", "2"], obj=app_script_info(app))
    assert result.exit_code == 0, result.output
    assert "2 older copies removed" in result.output and len(copies.kept(folder)) == 2
    result = runner.invoke(backup_group, ["create", "--to", str(folder), "--keep", "0"], obj=app_script_info(app))
    assert result.exit_code != 0 and "0 is not in the range" in result.output


def wait_for(condition, writers, errors, seconds=60):
    """Wait until `condition` holds; fail at once if a writer stopped or broke, rather than hang."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert not errors, errors
        assert all(writer.is_alive() for writer in writers), "a writer stopped before the backup was taken"
        assert time.monotonic() < deadline, "the writers did not get that far in time"
        time.sleep(0.01)


def app_script_info(app):
    from flask.cli import ScriptInfo
    return ScriptInfo(create_app=lambda: app)
