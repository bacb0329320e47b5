"""The per-day counts of help sessions (stats/daily_counts.py): the same figures as the sessions
themselves, kept with every change made through the models, and never trusted once stale."""
import threading
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from flask_migrate import upgrade
from sqlalchemy import insert, select, text, true

from config import TestConfig
from tiers_lieu import create_app
from tiers_lieu.accounts.models import Role
from tiers_lieu.booking.models import Booking, Topic
from tiers_lieu.desk.models import Attendee, HelpSession, Need
from tiers_lieu.extensions import db
from tiers_lieu.stats import daily_counts, figures, queries

PARIS = ZoneInfo("Europe/Paris")


def stored():
    """The per-day counts as the table holds them."""
    rows = db.session.execute(select(daily_counts.DAY.c.day, daily_counts.DAY.c.dimension, daily_counts.DAY.c.key,
                                     daily_counts.DAY.c.sessions, daily_counts.DAY.c.participants, daily_counts.DAY.c.minutes))
    return sorted((day, dimension, key, int(s), int(p), int(m)) for day, dimension, key, s, p, m in rows)


def recounted():
    """The per-day counts as the sessions say now."""
    rows = db.session.execute(daily_counts.day_counts(db.engine.dialect.name, [true()]))
    return sorted((day, dimension, key, int(s), int(p), int(m)) for day, dimension, key, s, p, m in rows)


def raw(filters):
    """What the figures would read from the sessions themselves."""
    dialect = db.engine.dialect.name
    labels = queries.list_labels(db.session)
    return (queries.session_values(db.session, filters, labels), queries.grouped_counts(db.session, filters, dialect),
            queries.sessions_by_month(db.session, filters, dialect))


def rolled(filters):
    return daily_counts.read(db.session, filters, db.engine.dialect.name,
                             queries.measure_columns(queries.list_labels(db.session)), queries.trend_span(filters))


@pytest.fixture
def history(generated_history):
    """Ninety days of generated activity in two rooms, counted per day by the generator."""
    return generated_history(days=90, seed=5, residents=60)


def test_the_generated_history_is_counted_as_the_sessions_say(history):
    assert stored() == recounted()
    assert len(stored()) > 500


@pytest.mark.parametrize("days_back, length", [(90, 90), (30, 10), (400, 400), (3, 1)])
def test_the_rolled_up_figures_equal_the_sessions_own(history, days_back, length):
    start = history["today"] - timedelta(days=days_back)
    filters = queries.Filters(start, start + timedelta(days=length))
    assert rolled(filters) == raw(filters)


def test_the_dashboard_reads_the_counts_only_without_filters(history, monkeypatch):
    read = []
    original = daily_counts.read
    monkeypatch.setattr(daily_counts, "read", lambda *args: read.append(args[1]) or original(*args))
    start = history["today"] - timedelta(days=60)
    figures.figures(db.session, queries.Filters(start, history["today"]), PARIS)
    figures.figures(db.session, queries.Filters(start, history["today"], facilitator_id=history["f1"].id), PARIS)
    figures.figures(db.session, queries.Filters(start, history["today"], location_id=history["l1"].id), PARIS)
    assert len(read) == 1 and read[0].facilitator_id is None


def test_every_change_through_the_models_is_counted_at_commit(history, make_user):
    facilitator = make_user(Role.FACILITATOR)
    topics = db.session.execute(select(Topic).order_by(Topic.id)).scalars().all()
    needs = db.session.execute(select(Need).order_by(Need.id)).scalars().all()
    day = history["today"] - timedelta(days=5)

    logged = HelpSession(day=day, start_time=time(9, 15), duration_minutes=40, facilitator_id=facilitator.id,
                         channel="remote", outcome="resolved", neighbourhood="Fontbarlettes", first_visit=True,
                         topics=[topics[0], topics[1]], needs=[needs[0]], participant_count=2,
                         attendees=[Attendee()])
    db.session.add(logged)
    db.session.commit()
    assert stored() == recounted()

    # Fields, the day itself (both days are counted again), the topics, the needs, the attendees.
    logged.channel, logged.day, logged.duration_minutes = "home", day - timedelta(days=20), 150
    logged.topics = [topics[2]]
    logged.needs = needs[1:3]
    db.session.commit()
    assert stored() == recounted()
    logged.attendees.append(Attendee(booking_id=None))
    db.session.commit()
    assert stored() == recounted()
    logged.attendees = []
    db.session.commit()
    assert stored() == recounted()

    db.session.delete(logged)
    db.session.commit()
    assert stored() == recounted()


def test_changes_within_one_transaction_and_to_attendees_alone_are_counted(history):
    booking_id = db.session.execute(select(Booking.id).order_by(Booking.id).limit(1)).scalar_one()
    day = history["today"] - timedelta(days=3)
    logged = HelpSession(day=day, duration_minutes=35, facilitator_id=history["f1"].id, channel="on_site")
    db.session.add(logged)
    db.session.flush()  # written, then changed again before the commit
    logged.channel, logged.outcome = "remote", "follow_up"
    logged.attendees.append(Attendee(booking_id=booking_id))  # a booking: the session is now "booked"
    db.session.commit()
    assert stored() == recounted()

    attendee = db.session.execute(select(Attendee).where(Attendee.session_id == logged.id)).scalar_one()
    db.session.expire_all()
    attendee.booking_id = None  # only the attendee changes: the session becomes a walk-in
    db.session.commit()
    assert stored() == recounted()

    other = HelpSession(day=day + timedelta(days=1), duration_minutes=20, facilitator_id=history["f1"].id)
    db.session.add(other)
    db.session.commit()
    attendee.booking_id, attendee.session_id = booking_id, other.id  # moved to another session
    db.session.commit()
    assert stored() == recounted()


def test_a_change_rolled_back_is_not_counted(history, make_user):
    before = stored()
    db.session.add(HelpSession(day=history["today"], duration_minutes=30, facilitator_id=history["f1"].id))
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert stored() == before == recounted()
    assert not {daily_counts.TAKEN_OUT, daily_counts.TO_ADD, daily_counts.TOUCHED} & db.session.info.keys()


def test_sessions_written_round_the_models_are_never_read_stale(history, runner):
    filters = queries.Filters(history["today"] - timedelta(days=30), history["today"])
    before = figures.figures(db.session, filters, PARIS).headline_value("sessions")
    db.session.execute(insert(HelpSession.__table__).values(
        day=history["today"] - timedelta(days=2), duration_minutes=25, facilitator_id=history["f1"].id,
        kind="quick", channel="on_site", participant_count=1, aidants_connect=False,
        created_at=datetime.now(timezone.utc), updated_at=datetime.now(timezone.utc)))
    db.session.commit()

    assert rolled(filters) is None  # the day's count no longer matches: the figures count the sessions
    assert figures.figures(db.session, filters, PARIS).headline_value("sessions") == before + 1

    result = runner.invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0, result.output
    assert stored() == recounted()
    assert rolled(filters) == raw(filters)


def test_sessions_logged_at_once_on_the_same_day_are_each_counted_once(app, history):
    """Two desks saving at the same moment: neither transaction's count of the day hides the other's."""
    day = history["today"] - timedelta(days=1)
    postgresql = db.engine.dialect.name == "postgresql"
    barrier = threading.Barrier(4)
    errors = []

    def log(n):
        with app.app_context():
            try:
                db.session.add(HelpSession(day=day, start_time=time(10, n), duration_minutes=20 + n,
                                           facilitator_id=history["f1"].id, channel="on_site"))
                db.session.flush()
                if postgresql:  # all four rows written, then four commits at once (SQLite: one writer at a time)
                    barrier.wait(timeout=10)
                db.session.commit()
            except Exception as error:  # reported below, with the thread's number
                errors.append((n, error))
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=log, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    db.session.expire_all()
    assert db.session.execute(select(db.func.count()).where(HelpSession.day == day,
                                                            HelpSession.start_time < time(10, 4),
                                                            HelpSession.start_time >= time(10, 0))).scalar() >= 4
    assert stored() == recounted()


def test_empty_days_and_an_empty_table_agree(app):
    filters = queries.Filters(date(2026, 1, 1), date(2026, 12, 31))
    assert stored() == recounted() == []
    assert rolled(filters) == raw(filters)


def test_the_migration_counts_the_sessions_already_logged(blank_database_url):
    app = create_app(type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": blank_database_url}))
    with app.app_context():
        upgrade(revision="0007_stats_indexes")  # before the counts existed
        now = datetime.now(timezone.utc)
        # A row as the schema of that revision has it (the model has columns added since).
        facilitator_id = db.session.execute(text(
            "INSERT INTO staff_user (email, display_name, role, active, language, password_hash, "
            "must_change_password, created_at) VALUES ('before@example.org', 'Avant', 'facilitator', "
            ":yes, 'fr', 'not-a-hash', :no, :now) RETURNING id"), {"yes": True, "no": False, "now": now}).scalar_one()
        for day, kind, people in ((date(2026, 3, 2), "individual", 1), (date(2026, 3, 2), "workshop", 5),
                                  (date(2026, 3, 9), "quick", 1)):
            db.session.execute(insert(HelpSession.__table__).values(
                day=day, kind=kind, participant_count=people, duration_minutes=45, channel="on_site",
                aidants_connect=False, facilitator_id=facilitator_id, created_at=now, updated_at=now))
        db.session.commit()
        upgrade()
        assert stored() == recounted()
        assert (date(2026, 3, 2), "total", "", 2, 6, 90) in stored()
        db.session.remove()
        db.engine.dispose()


def test_the_national_counts_migration_counts_the_new_dimensions_both_ways(blank_database_url):
    """0016_national_counts: days counted before the national vocabulary get their themes, gender,
    workshop level and commune, and their age brackets as 0015 split them; the downgrade gives the
    old brackets back; nothing else of the counts changes."""
    from flask_migrate import downgrade

    from tiers_lieu.accounts.service import create_user
    from tiers_lieu.desk.models import Commune, SessionTheme

    app = create_app(type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": blank_database_url}))
    with app.app_context():
        upgrade(revision="0015_national_vocabulary")
        facilitator = create_user("avant@example.org", "Avant", "a long enough password", role=Role.FACILITATOR)
        valence = Commune(name="Valence", postal_code="26000", insee_code="26362")
        db.session.add(valence)
        db.session.commit()
        now = datetime.now(timezone.utc)
        sessions = [  # (day, kind, people, age, gender, level, commune, postal code, themes)
            (date(2026, 3, 2), "individual", 1, "12_17", "female", None, valence.id, None, ["email"]),
            (date(2026, 3, 2), "workshop", 5, "under_12", None, "beginner", None, "26500",
             ["digital_creation", "email"]),
            (date(2026, 3, 9), "quick", 1, None, "not_given", None, None, None, ["admin_procedures"]),
        ]
        for day, kind, people, age, gender, level, commune, postal, themes in sessions:
            session_id = db.session.execute(insert(HelpSession.__table__).values(
                day=day, kind=kind, participant_count=people, duration_minutes=45, channel="on_site",
                aidants_connect=False, facilitator_id=facilitator.id, age_bracket=age, gender=gender,
                workshop_level=level, commune_id=commune, other_postal_code=postal, created_at=now,
                updated_at=now).returning(HelpSession.__table__.c.id)).scalar_one()
            db.session.execute(insert(SessionTheme.__table__), [{"session_id": session_id, "theme": theme}
                                                                 for theme in themes])
        # The counts as the application counted them before 0015: no new dimension, the old brackets.
        daily_counts.refresh(db.session.connection())
        new_dimensions = ("theme", "gender", "workshop_level", "commune", "age_bracket")
        db.session.execute(daily_counts.DAY.delete().where(daily_counts.DAY.c.dimension.in_(new_dimensions)))
        db.session.execute(insert(daily_counts.DAY).values(day=date(2026, 3, 2), dimension="age_bracket",
                                                            key="under_18", sessions=2, participants=6, minutes=90))
        db.session.execute(insert(daily_counts.DAY).values(day=date(2026, 3, 9), dimension="age_bracket", key="",
                                                            sessions=1, participants=1, minutes=45))
        db.session.commit()
        others = [row for row in stored() if row[1] not in new_dimensions]
        # Each step of the migrations runs on a connection of its own: the test's reads end first,
        # or PostgreSQL would make the step's ALTER TABLE wait for them.
        db.session.rollback()

        upgrade()
        assert stored() == recounted()
        counts = {(day, dimension, key): (s, p) for day, dimension, key, s, p, _ in stored()}
        assert counts[(date(2026, 3, 2), "theme", "email")] == (2, 6)
        assert counts[(date(2026, 3, 2), "commune", "postal:26500")] == (1, 5)
        assert counts[(date(2026, 3, 2), "commune", str(valence.id))] == (1, 1)
        assert counts[(date(2026, 3, 2), "workshop_level", "beginner")] == (1, 5)
        assert counts[(date(2026, 3, 9), "gender", "not_given")] == (1, 1)
        assert [row for row in stored() if row[1] not in new_dimensions] == others

        db.session.rollback()
        downgrade(revision="0015_national_vocabulary")
        assert [row for row in stored() if row[1] in new_dimensions] == [
            (date(2026, 3, 2), "age_bracket", "under_18", 2, 6, 90), (date(2026, 3, 9), "age_bracket", "", 1, 1, 45)]
        assert [row for row in stored() if row[1] not in new_dimensions] == others
        db.session.rollback()
        downgrade(revision="0014_centre_identity")
        upgrade()
        assert stored() == recounted()
        db.session.remove()
        db.engine.dispose()


def test_the_national_vocabulary_is_counted_the_same_both_ways(history):
    """Themes, gender, workshop level and commune: kept in the per-day counts with every change, the
    roll-up equal to the sessions' own counts, and the dashboard's tables equal to a plain count."""
    from collections import Counter

    from tiers_lieu.desk.models import Commune, Gender, NationalTheme, WorkshopLevel

    communes = [Commune(name="Valence", postal_code="26000", insee_code="26362", position=1),
                Commune(name="Bourg-lès-Valence", postal_code="26500", insee_code="26058", position=2)]
    db.session.add_all(communes)
    db.session.flush()
    themes = [theme.value for theme in NationalTheme]
    places = [(communes[0].id, None), (communes[1].id, None), (None, "26120"), (None, "07500"), (None, None)]
    logged = []
    for n in range(40):
        workshop = n % 4 == 0
        session = HelpSession(
            day=history["today"] - timedelta(days=1 + n % 20), start_time=time(9 + n % 8), duration_minutes=30,
            facilitator_id=history["f1"].id, kind="workshop" if workshop else "individual",
            participant_count=3 + n % 5 if workshop else 1,
            workshop_level=[None, *[level.value for level in WorkshopLevel]][n % 4] if workshop else None,
            gender=[None, *[gender.value for gender in Gender]][n % 4], age_bracket=["under_12", "12_17", None][n % 3],
            commune_id=places[n % 5][0], other_postal_code=places[n % 5][1])
        session.themes = [themes[n % 19], themes[(n * 7) % 19]]
        logged.append(session)
    db.session.add_all(logged)
    db.session.commit()
    assert stored() == recounted()

    start = history["today"] - timedelta(days=25)
    filters = queries.Filters(start, history["today"])
    assert rolled(filters) == raw(filters)
    assert rolled(filters)[1]["theme"] and rolled(filters)[1]["commune"]
    filtered = queries.Filters(start, history["today"], facilitator_id=history["f1"].id)

    def plain(sessions):
        """The tables' numbers counted in Python, from the sessions of the period."""
        themes_count, genders, levels, places_count = Counter(), Counter(), Counter(), Counter()
        for session in sessions:
            people = session.participant_count
            for theme in session.themes:
                themes_count[theme] += people
            genders[session.gender] += people
            if session.kind == "workshop":
                levels[session.workshop_level] += people
            places_count[str(session.commune_id) if session.commune_id else session.other_postal_code] += people
        return themes_count, genders, levels, places_count

    for asked in (filters, filtered):
        sessions = db.session.execute(select(HelpSession).where(HelpSession.day >= asked.start,
                                                                HelpSession.day <= asked.end)).scalars().all()
        if asked.facilitator_id:
            sessions = [s for s in sessions if s.facilitator_id == asked.facilitator_id]
        themes_count, genders, levels, places_count = plain(sessions)
        result = figures.figures(db.session, asked, PARIS)
        assert [row[2] for row in result.table("themes").rows] == [themes_count[theme] for theme in themes]
        assert [row[1] for row in result.table("genders").rows] == (
            [genders[gender.value] for gender in Gender] + ([genders[None]] if genders[None] else []))
        assert [row[1] for row in result.table("workshop_levels").rows] == (
            [levels[level.value] for level in WorkshopLevel] + ([levels[None]] if levels[None] else []))
        assert [row[1] for row in result.table("communes").rows] == (
            [places_count[str(c.id)] for c in communes] + [places_count["07500"], places_count["26120"]]
            + ([places_count[None]] if places_count[None] else []))
        assert len(result.table("domains").rows) >= 11  # Associations too

    # Only the themes change: the counts follow.
    logged[1].themes = ["artificial_intelligence"]
    logged[2].commune_id, logged[2].other_postal_code = None, "26800"
    db.session.commit()
    assert stored() == recounted()
    assert rolled(filters) == raw(filters)
