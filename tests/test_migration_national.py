"""Migration 0015 (the national report's vocabulary) keeps every session logged before it valid:
themes mapped from topics and domains, the old under-18 band split, nothing lost on the way down."""
from datetime import date, datetime, timezone

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from config import TestConfig
from tiers_lieu import create_app
from tiers_lieu.desk.models import AgeBracket, NationalTheme
from tiers_lieu.extensions import db

from .test_migrations import schema_differences

TOPICS = [("demarches", "Démarches administratives"), ("achats", "Achats en ligne"),
          ("scolarite", "Suivi scolaire"), ("smartphone", "Prise en main du smartphone"),
          ("atelier-cv", "Atelier CV et e-mail"), ("jeux", "Jeux de société")]


def rows(sql, **values):
    with db.engine.connect() as connection:
        return connection.execute(text(sql), values).all()


def insert(connection, sql, **values):
    return connection.execute(text(sql + " RETURNING id"), values).scalar_one()


def old_database():
    """Sessions as revisions 0013 and 0014 store them; returns their ids by name."""
    now = datetime.now(timezone.utc)
    with db.engine.begin() as connection:
        staff = insert(connection,
                       "INSERT INTO staff_user (email, display_name, role, active, language, password_hash, "
                       "must_change_password, created_at) VALUES ('old@example.org', 'Avant', 'facilitator', "
                       ":yes, 'fr', 'not-a-hash', :no, :now)", yes=True, no=False, now=now)
        topics = {slug: insert(connection,
                               "INSERT INTO topic (slug, name_fr, name_en, description_fr, description_en, "
                               "pictogram, colour, default_duration, what_to_bring_fr, what_to_bring_en, active, "
                               "position) VALUES (:slug, :name, '', '', '', '', '#1d4e89', 30, '', '', :yes, 0)",
                               slug=slug, name=name, yes=True)
                  for slug, name in TOPICS}
        residents = {name: insert(connection,
                                  "INSERT INTO resident (first_name, language, birth_year, age_bracket, name_key, "
                                  "created_at, updated_at, remember_consent_at) VALUES (:name, 'fr', :year, "
                                  ":bracket, :name, :now, :now, :now)",
                                  name=name, year=year, bracket=bracket, now=now)
                     for name, year, bracket in (("lina", 2016, "under_18"), ("yanis", 2011, "under_18"),
                                                 ("paul", None, "under_18"), ("rose", 1950, "70_plus"))}

        place = insert(connection, "INSERT INTO location (name, position, active) VALUES ('Salle', 0, :yes)",
                       yes=True)
        slot = insert(connection,
                      "INSERT INTO slot (starts_at, ends_at, capacity, seats_taken, location_id, workshop_title, "
                      "cancelled, offered) VALUES (:start, :end, 6, 5, :place, :title, :no, :yes)",
                      start=datetime(2026, 3, 9, 13, tzinfo=timezone.utc),
                      end=datetime(2026, 3, 9, 15, tzinfo=timezone.utc), place=place, no=False, yes=True,
                      title="Atelier smartphone : premiers pas " + "x" * 120)

        def session(topic_slugs=(), resident=None, day=date(2026, 3, 2), **fields):
            values = dict(day=day, kind="individual", participant_count=1, duration_minutes=45, channel="on_site",
                          aidants_connect=False, facilitator_id=staff, created_at=now, updated_at=now,
                          admin_domain=None, age_bracket=None)
            values.update(fields)
            names = ", ".join(values)
            session_id = insert(connection, f"INSERT INTO help_session ({names}) VALUES "
                                            f"({', '.join(':' + name for name in values)})", **values)
            for slug in topic_slugs:
                connection.execute(text("INSERT INTO help_session_topic (session_id, topic_id) VALUES (:s, :t)"),
                                   {"s": session_id, "t": topics[slug]})
            if resident:
                connection.execute(text("INSERT INTO help_session_attendee (session_id, resident_id) "
                                        "VALUES (:s, :r)"), {"s": session_id, "r": residents[resident]})
            return session_id

        sessions = {
            "child": session(["scolarite"], "lina", age_bracket="under_18"),  # 10 in 2026
            "teen": session(["smartphone"], "yanis", age_bracket="under_18"),  # 15
            "young_unknown": session(["achats"], "paul", age_bracket="under_18"),
            "anonymous_young": session(["achats", "smartphone"], age_bracket="under_18"),
            "procedure": session(["demarches"], "rose", admin_domain="money", age_bracket="70_plus"),
            "domain_only": session([], admin_domain="housing"),
            "nothing": session([]),
            "unknown_topic": session(["jeux"]),
            "custom_topic": session(["atelier-cv"], kind="workshop", participant_count=4, day=date(2026, 3, 9)),
            "slot_workshop": session(["smartphone"], kind="workshop", participant_count=5, day=date(2026, 3, 9),
                                     slot_id=slot),
        }
        # The dashboard's per-day counts as they stood (only what this test reads).
        connection.execute(text(
            "INSERT INTO stats_session_day (day, dimension, key, sessions, participants, minutes) VALUES "
            "('2026-03-02', 'total', '', 8, 8, 360), ('2026-03-09', 'total', '', 2, 9, 90), "
            "('2026-03-02', 'age_bracket', 'under_18', 4, 4, 180), ('2026-03-02', 'age_bracket', '70_plus', 1, 1, 45),"
            "('2026-03-02', 'age_bracket', '', 3, 3, 135), ('2026-03-09', 'age_bracket', '', 2, 9, 90)"))
    return staff, topics, residents, sessions


def test_migration_gives_old_sessions_national_themes_and_the_new_age_bands(blank_database_url):
    app = create_app(type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": blank_database_url}))
    with app.app_context():
        # From 0013: 0014 and 0015 both rebuild `topic` on SQLite, whose drop would take every
        # session's topics with it through their cascade.
        upgrade(revision="0013_account_recovery")
        _, topics, residents, sessions = old_database()
        links_before = rows("SELECT session_id, topic_id FROM help_session_topic ORDER BY 1, 2")
        upgrade()
        assert schema_differences() == []
        assert links_before and rows("SELECT session_id, topic_id FROM help_session_topic ORDER BY 1, 2") == links_before

        themes = {}
        for session_id, theme in rows("SELECT session_id, theme FROM help_session_theme"):
            themes.setdefault(session_id, set()).add(theme)
        assert set(themes) == set(sessions.values()), "every session has a theme"
        assert themes[sessions["child"]] == {"parenting"}
        assert themes[sessions["teen"]] == {"device_handling"}
        assert themes[sessions["anonymous_young"]] == {"banking_shopping", "device_handling"}
        assert themes[sessions["procedure"]] == {"admin_procedures"}
        assert themes[sessions["domain_only"]] == {"admin_procedures"}
        assert themes[sessions["nothing"]] == themes[sessions["unknown_topic"]] == {"device_handling"}
        assert themes[sessions["custom_topic"]] == {"job_seeking", "email"}
        assert all(theme in {member.value for member in NationalTheme} for found in themes.values() for theme in found)

        from tiers_lieu.booking.models import Topic
        from tiers_lieu.desk.models import HelpSession
        by_slug = {topic.slug: topic.national_themes for topic in db.session.execute(db.select(Topic)).scalars()}
        assert by_slug == {"demarches": ["admin_procedures"], "achats": ["banking_shopping"],
                           "scolarite": ["parenting"], "smartphone": ["device_handling"],
                           "atelier-cv": ["email", "job_seeking"], "jeux": []}
        assert db.session.get(HelpSession, sessions["anonymous_young"]).themes == ["device_handling",
                                                                                    "banking_shopping"]

        ages = dict(rows("SELECT id, age_bracket FROM help_session"))
        assert ages[sessions["child"]] == "under_12"
        assert ages[sessions["teen"]] == ages[sessions["young_unknown"]] == ages[sessions["anonymous_young"]] == "12_17"
        assert ages[sessions["procedure"]] == "70_plus"
        assert {age for age in ages.values() if age} <= {member.value for member in AgeBracket}
        resident_ages = dict(rows("SELECT id, age_bracket FROM resident"))
        assert resident_ages[residents["lina"]] == "under_12"
        assert resident_ages[residents["yanis"]] == resident_ages[residents["paul"]] == "12_17"
        assert rows("SELECT gender, commune_id, other_postal_code, workshop_title FROM help_session "
                    "WHERE id = :id", id=sessions["procedure"]) == [(None, None, None, None)]
        titles = dict(rows("SELECT id, workshop_title FROM help_session WHERE kind = 'workshop'"))
        assert titles[sessions["custom_topic"]] is None  # no slot to take it from: asked when edited
        assert titles[sessions["slot_workshop"]] == ("Atelier smartphone : premiers pas " + "x" * 120)[:120]
        counts = sorted(tuple(row) for row in rows(
            "SELECT day, key, sessions, participants, minutes FROM stats_session_day "
            "WHERE dimension = 'age_bracket'"))
        assert [(str(day), key, s, p, m) for day, key, s, p, m in counts] == [
            ("2026-03-02", "", 3, 3, 135), ("2026-03-02", "12_17", 3, 3, 135), ("2026-03-02", "70_plus", 1, 1, 45),
            ("2026-03-02", "under_12", 1, 1, 45), ("2026-03-09", "", 2, 9, 90)]
        # Nothing else was touched by rebuilding the tables (SQLite copies them).
        assert len(rows("SELECT * FROM help_session_topic")) == 9
        assert len(rows("SELECT * FROM help_session_attendee")) == 4
        db.session.rollback()

        # Down again: the old bands come back, the sessions, their topics and attendees stay.
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE help_session SET admin_domain = 'associations' WHERE id = :id"),
                               {"id": sessions["domain_only"]})
        downgrade(revision="0014_centre_identity")
        ages = dict(rows("SELECT id, age_bracket FROM help_session"))
        assert ages[sessions["child"]] == ages[sessions["teen"]] == "under_18"
        assert dict(rows("SELECT id, admin_domain FROM help_session"))[sessions["domain_only"]] is None
        assert set(dict(rows("SELECT id, age_bracket FROM resident")).values()) == {"under_18", "70_plus"}
        assert len(rows("SELECT * FROM help_session")) == 10
        assert len(rows("SELECT * FROM help_session_topic")) == 9
        assert len(rows("SELECT * FROM help_session_attendee")) == 4
        upgrade()
        assert schema_differences() == []
        db.session.remove()
        db.engine.dispose()
