"""national counts: the per-day counts of the sessions gain the national vocabulary's dimensions

The statistics' per-day counts (stats_session_day, see tiers_lieu/stats/daily_counts.py) of the
days already counted lack what 0015_national_vocabulary gave the sessions: their national themes,
gender, workshop level and commune; and their age-bracket rows still say "under_18", which 0015
split in two. This migration counts those five dimensions again, with plain SQL on both databases,
for the days already counted (those with a "total" row), and leaves every other dimension as it is.

Why not delete the old days' rows, so that the dashboard falls back to counting the sessions
themselves until `flask stats rebuild`? The figures would stay right, but every dashboard of an
unfiltered period would count a year of sessions on each view (over half a second on SQLite) and
warn in the log until someone ran the command. One INSERT … SELECT per dimension costs about as
much as one such view, once. And why plain SQL rather than the application's counting
(daily_counts.refresh), as 0008 once did? The application's counting reads the columns of the
newest schema: a later migration adding one would break this one on an older database.

Days not counted (none, unless sessions were written round the application) stay as they are: the
dashboard counts them from the sessions, and `flask stats rebuild` counts them.

A database that comes from before 0008_stats_session_day has no counts at all: its sessions are
counted here with the application's own counting, which 0008 used to do but can no longer (that
counting reads this schema's columns, which do not exist at 0008). When the counting comes to
read a column that a later migration adds, that migration takes over this call.

Downgrade: the new dimensions' rows are removed, and the two new age brackets' rows are added back
together under "under_18", as 0015's downgrade does with the sessions' own age brackets.

Revision ID: 0016_national_counts
Revises: 0015_national_vocabulary
Create Date: 2026-12-04 10:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_national_counts'
down_revision = '0015_national_vocabulary'
branch_labels = None
depends_on = None

# The key of each dimension, as daily_counts.day_counts writes it ('' = not recorded).
KEYS = {
    "age_bracket": "COALESCE(s.age_bracket, '')",
    "gender": "COALESCE(s.gender, '')",
    "workshop_level": "COALESCE(s.workshop_level, '')",
    "commune": ("CASE WHEN s.commune_id IS NOT NULL THEN CAST(s.commune_id AS VARCHAR(120)) "
                "WHEN COALESCE(s.other_postal_code, '') <> '' THEN 'postal:' || s.other_postal_code "
                "ELSE '' END"),
}
COUNTED_DAYS = "SELECT d.day FROM stats_session_day d WHERE d.dimension = 'total'"
MEASURES = "COUNT(*), SUM(s.participant_count), SUM(s.duration_minutes)"
COLUMNS = "stats_session_day (day, dimension, key, sessions, participants, minutes)"


def upgrade():
    bind = op.get_bind()
    counted = bind.execute(sa.text("SELECT 1 FROM stats_session_day LIMIT 1")).first() is not None
    if not counted:
        if bind.execute(sa.text("SELECT 1 FROM help_session LIMIT 1")).first() is not None:
            from tiers_lieu.stats.daily_counts import refresh
            refresh(bind)
        return
    dimensions = ", ".join(f"'{name}'" for name in [*KEYS, "theme"])
    op.execute(f"DELETE FROM stats_session_day WHERE dimension IN ({dimensions})")
    for name, key in KEYS.items():
        op.execute(f"INSERT INTO {COLUMNS} SELECT s.day, '{name}', {key}, {MEASURES} FROM help_session s "
                   f"WHERE s.day IN ({COUNTED_DAYS}) GROUP BY s.day, {key}")
    # A session counts once under each of its themes, as under each of its topics.
    op.execute(f"INSERT INTO {COLUMNS} SELECT s.day, 'theme', t.theme, {MEASURES} FROM help_session_theme t "
               f"JOIN help_session s ON s.id = t.session_id WHERE s.day IN ({COUNTED_DAYS}) GROUP BY s.day, t.theme")


def downgrade():
    op.execute("DELETE FROM stats_session_day WHERE dimension IN ('gender', 'workshop_level', 'commune', 'theme')")
    split = "d.dimension = 'age_bracket' AND d.key IN ('under_12', '12_17')"
    op.execute(f"INSERT INTO {COLUMNS} SELECT d.day, 'age_bracket', 'under_18', SUM(d.sessions), "
               f"SUM(d.participants), SUM(d.minutes) FROM stats_session_day d WHERE {split} GROUP BY d.day")
    op.execute("DELETE FROM stats_session_day WHERE dimension = 'age_bracket' AND key IN ('under_12', '12_17')")
