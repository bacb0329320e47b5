"""national vocabulary: the national themes, communes, gender and workshops of help sessions

Revision ID: 0015_national_vocabulary
Revises: 0014_centre_identity
Create Date: 2026-12-04 09:50:00.000000

Existing rows stay valid and keep their meaning:
- every topic gets default national themes guessed from its slug and French name (the demo's
  topics: demarches -> admin_procedures, achats -> banking_shopping, scolarite -> parenting (the
  national report files "using a school follow-up platform" under parenting), smartphone ->
  device_handling); coordinators can change them on the topic's page;
- every session gets national themes: its topics' ones, admin_procedures when it recorded an
  administrative domain, and device_handling (the report's most general theme) when neither says
  anything, so that no session is left without one;
- the age band under_18 becomes 12_17, or under_12 when the person's birth year says so: children
  under 12 seldom come alone, and a session without a known birth year is far likelier a teenager's;
- gender and commune stay NULL on old sessions: "not recorded", which is not "not given";
- a workshop's title is its slot's (the opening rule's title), cut to 120 characters.
The per-day counts of the dashboard (stats_session_day) are counted again by 0016_national_counts.

The downgrade maps back: under_12 and 12_17 -> under_18, the Associations domain (which the old
list lacks) -> no domain; it drops the themes, communes, gender and workshop fields.
"""
import unicodedata

from alembic import op
import sqlalchemy as sa

import tiers_lieu.database


# revision identifiers, used by Alembic.
revision = '0015_national_vocabulary'
down_revision = '0014_centre_identity'
branch_labels = None
depends_on = None


# The guesses for existing topics: a national theme when a word of the topic's slug or French name
# starts with one of these (without accents, in lower case). Frozen here: the migration must give
# the same result whatever the application's code becomes.
TOPIC_WORDS = [
    ("admin_procedures", ("demarch", "administrati", "caf", "impot", "papiers", "ants", "prefecture",
                          "retraite", "allocation")),
    ("banking_shopping", ("achat", "banque", "bancaire", "commerce", "paiement")),
    ("parenting", ("scolar", "ecole", "pronote", "parent", "college", "lycee")),
    ("device_handling", ("smartphone", "ordinateur", "tablette", "materiel", "telephone", "portable")),
    ("email", ("mail", "email", "courriel", "messagerie")),
    ("job_seeking", ("emploi", "cv", "travail", "insertion", "candidature")),
    ("health", ("sante", "ameli", "doctolib", "medical")),
    ("digital_security", ("securite", "arnaque", "piratage")),
    ("social_media", ("reseau", "whatsapp", "facebook", "visio")),
    ("office_software", ("bureautique", "traitement", "tableur", "impression", "imprimer")),
    ("web_browsing", ("internet", "navigation", "web")),
    ("artificial_intelligence", ("ia", "intelligence")),
]
FALLBACK_THEME = "device_handling"
ADMIN_THEME = "admin_procedures"


def words_of(*texts):
    text = " ".join(text or "" for text in texts).casefold()
    plain = "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))
    return ["".join(char for char in word if char.isalnum()) for word in plain.replace("-", " ").replace("_", " ")
            .replace("'", " ").split()]


def topic_themes(slug, name_fr):
    words = [word for word in words_of(slug, name_fr) if word]
    return [theme for theme, starts in TOPIC_WORDS
            if any(word.startswith(start) if len(start) > 2 else word == start
                   for word in words for start in starts)]


def recount(bind, dimension):
    """Count a session column's answers again in the dashboard's per-day counts, as
    stats/daily_counts.py does (NULL is the key ''), for the days counted (those with a "total" row).
    The age bands and the new dimensions are counted again by 0016_national_counts."""
    counted = "SELECT d.day FROM stats_session_day d WHERE d.dimension = 'total'"
    bind.execute(sa.text("DELETE FROM stats_session_day WHERE dimension = :dimension"), {"dimension": dimension})
    bind.execute(sa.text(
        f"INSERT INTO stats_session_day (day, dimension, key, sessions, participants, minutes) "
        f"SELECT day, :dimension, COALESCE({dimension}, ''), COUNT(*), SUM(participant_count), "
        f"SUM(duration_minutes) FROM help_session WHERE day IN ({counted}) GROUP BY day, COALESCE({dimension}, '')"),
        {"dimension": dimension})


def upgrade():
    op.create_table('commune',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('postal_code', sa.String(length=5), nullable=False),
    sa.Column('insee_code', sa.String(length=5), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commune'))
    )
    op.create_table('help_session_theme',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['help_session.id'], name=op.f('fk_help_session_theme_session_id_help_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'theme', name=op.f('pk_help_session_theme'))
    )
    with op.batch_alter_table('help_session_theme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_help_session_theme_theme'), ['theme'], unique=False)

    with tiers_lieu.database.sqlite_foreign_keys_off(op.get_bind()):
        # A server default that is an expression makes SQLite's batch mode rebuild the table.
        with op.batch_alter_table('topic', schema=None) as batch_op:
            batch_op.add_column(sa.Column('national_themes', sa.JSON(), server_default=sa.text("'[]'"),
                                          nullable=False))

        with op.batch_alter_table('help_session', schema=None) as batch_op:
            batch_op.add_column(sa.Column('commune_id', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('other_postal_code', sa.String(length=5), nullable=True))
            batch_op.add_column(sa.Column('gender', sa.String(length=12), nullable=True))
            batch_op.add_column(sa.Column('workshop_title', sa.String(length=120), nullable=True))
            batch_op.add_column(sa.Column('workshop_level', sa.String(length=16), nullable=True))
            batch_op.create_foreign_key(batch_op.f('fk_help_session_commune_id_commune'), 'commune', ['commune_id'], ['id'])

        with op.batch_alter_table('resident', schema=None) as batch_op:
            batch_op.add_column(sa.Column('commune_id', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('other_postal_code', sa.String(length=5), nullable=True))
            batch_op.create_foreign_key(batch_op.f('fk_resident_commune_id_commune'), 'commune', ['commune_id'], ['id'])

    map_existing_rows(op.get_bind())


def map_existing_rows(bind):
    topic = sa.table('topic', sa.column('id', sa.Integer), sa.column('slug', sa.String),
                     sa.column('name_fr', sa.String), sa.column('national_themes', sa.JSON))
    themes_of_topic = {}
    for topic_id, slug, name_fr in bind.execute(sa.select(topic.c.id, topic.c.slug, topic.c.name_fr)):
        themes_of_topic[topic_id] = topic_themes(slug, name_fr)
        bind.execute(topic.update().where(topic.c.id == topic_id).values(national_themes=themes_of_topic[topic_id]))

    # Every session's themes, in one pass over the sessions and their topics.
    themes = {}
    for session_id, admin_domain in bind.execute(sa.text("SELECT id, admin_domain FROM help_session")):
        themes[session_id] = {ADMIN_THEME} if admin_domain else set()
    for session_id, topic_id in bind.execute(sa.text("SELECT session_id, topic_id FROM help_session_topic")):
        themes[session_id].update(themes_of_topic.get(topic_id, ()))
    rows = [{"session_id": session_id, "theme": theme}
            for session_id, chosen in themes.items() for theme in sorted(chosen or {FALLBACK_THEME})]
    if rows:
        bind.execute(sa.text("INSERT INTO help_session_theme (session_id, theme) VALUES (:session_id, :theme)"),
                     rows)

    bind.execute(sa.text(
        "UPDATE help_session SET workshop_title = (SELECT SUBSTR(slot.workshop_title, 1, 120) FROM slot "
        "WHERE slot.id = help_session.slot_id) WHERE kind = 'workshop' AND slot_id IS NOT NULL"))

    # Age bands: under_18 -> 12_17, or under_12 from a birth year (the session's day for a session).
    under_12 = set()
    for session_id, day, birth_year in bind.execute(sa.text(
            "SELECT s.id, s.day, r.birth_year FROM help_session s "
            "JOIN help_session_attendee a ON a.session_id = s.id JOIN resident r ON r.id = a.resident_id "
            "WHERE s.age_bracket = 'under_18' AND r.birth_year IS NOT NULL")):
        year = day.year if hasattr(day, "year") else int(str(day)[:4])
        if year - birth_year <= 11:
            under_12.add(session_id)
    bind.execute(sa.text("UPDATE help_session SET age_bracket = '12_17' WHERE age_bracket = 'under_18'"))
    if under_12:
        bind.execute(sa.text("UPDATE help_session SET age_bracket = 'under_12' WHERE id = :id"),
                     [{"id": session_id} for session_id in sorted(under_12)])
    this_year = bind.execute(sa.text("SELECT CURRENT_DATE")).scalar()
    this_year = this_year.year if hasattr(this_year, "year") else int(str(this_year)[:4])
    bind.execute(sa.text(
        "UPDATE resident SET age_bracket = CASE WHEN birth_year IS NOT NULL AND :year - birth_year <= 11 "
        "THEN 'under_12' ELSE '12_17' END WHERE age_bracket = 'under_18'"), {"year": this_year})


def downgrade():
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE help_session SET age_bracket = 'under_18' WHERE age_bracket IN ('under_12', '12_17')"))
    bind.execute(sa.text("UPDATE resident SET age_bracket = 'under_18' WHERE age_bracket IN ('under_12', '12_17')"))
    bind.execute(sa.text("UPDATE help_session SET admin_domain = NULL WHERE admin_domain = 'associations'"))
    recount(bind, "admin_domain")  # the Associations domain's rows go ("age_bracket": see 0016's downgrade)

    with tiers_lieu.database.sqlite_foreign_keys_off(op.get_bind()):
        with op.batch_alter_table('resident', schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f('fk_resident_commune_id_commune'), type_='foreignkey')
            batch_op.drop_column('other_postal_code')
            batch_op.drop_column('commune_id')

        with op.batch_alter_table('help_session', schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f('fk_help_session_commune_id_commune'), type_='foreignkey')
            batch_op.drop_column('workshop_level')
            batch_op.drop_column('workshop_title')
            batch_op.drop_column('gender')
            batch_op.drop_column('other_postal_code')
            batch_op.drop_column('commune_id')

        with op.batch_alter_table('topic', schema=None) as batch_op:
            batch_op.drop_column('national_themes')

    with op.batch_alter_table('help_session_theme', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_help_session_theme_theme'))

    op.drop_table('help_session_theme')
    op.drop_table('commune')
