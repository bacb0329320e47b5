"""centre identity: the public identity of the centre and each topic's national services

Revision ID: 0014_centre_identity
Revises: 0013_account_recovery
Create Date: 2026-12-04 09:50:00.000000

"""
from alembic import op
import sqlalchemy as sa

import tiers_lieu.database


# revision identifiers, used by Alembic.
revision = '0014_centre_identity'
down_revision = '0013_account_recovery'
branch_labels = None
depends_on = None


# Existing rows get valid values through server defaults: "" for the texts, empty JSON lists, the
# social-centre typology ("CS") for the centre, and the migration's time for `updated_at`.
EMPTY_LIST = sa.text("'[]'")
CENTRE_LISTS = ("national_programmes", "fees", "publics", "specific_support", "access_modes",
                "support_modes")


def upgrade():
    # Adding `updated_at` with an expression as default makes SQLite's batch mode rebuild the tables,
    # and dropping the old `topic` would delete every session's topics through their cascade.
    with tiers_lieu.database.sqlite_foreign_keys_off(op.get_bind()):
        with op.batch_alter_table('centre', schema=None) as batch_op:
            batch_op.add_column(sa.Column('siret_or_rna', sa.String(length=14), server_default='', nullable=False))
            batch_op.add_column(sa.Column('postal_code', sa.String(length=5), server_default='', nullable=False))
            batch_op.add_column(sa.Column('commune', sa.String(length=120), server_default='', nullable=False))
            batch_op.add_column(sa.Column('insee_code', sa.String(length=5), server_default='', nullable=False))
            batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
            batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))
            batch_op.add_column(sa.Column('typology', sa.JSON(), server_default=sa.text("'[\"CS\"]'"), nullable=False))
            batch_op.add_column(sa.Column('website', sa.String(length=300), server_default='', nullable=False))
            batch_op.add_column(sa.Column('acceslibre_url', sa.String(length=300), server_default='', nullable=False))
            for name in CENTRE_LISTS:
                batch_op.add_column(sa.Column(name, sa.JSON(), server_default=EMPTY_LIST, nullable=False))
            batch_op.add_column(sa.Column('summary', sa.String(length=280), server_default='', nullable=False))
            batch_op.add_column(sa.Column('presentation', sa.Text(), server_default='', nullable=False))
            batch_op.add_column(sa.Column('updated_at', tiers_lieu.database.UTCDateTime(timezone=True),
                                          server_default=sa.func.current_timestamp(), nullable=False))

        with op.batch_alter_table('topic', schema=None) as batch_op:
            batch_op.add_column(sa.Column('mednum_services', sa.JSON(), server_default=EMPTY_LIST, nullable=False))
            batch_op.add_column(sa.Column('di_thematiques', sa.JSON(), server_default=EMPTY_LIST, nullable=False))
            batch_op.add_column(sa.Column('updated_at', tiers_lieu.database.UTCDateTime(timezone=True),
                                          server_default=sa.func.current_timestamp(), nullable=False))


def downgrade():
    with tiers_lieu.database.sqlite_foreign_keys_off(op.get_bind()):
        with op.batch_alter_table('topic', schema=None) as batch_op:
            batch_op.drop_column('updated_at')
            batch_op.drop_column('di_thematiques')
            batch_op.drop_column('mednum_services')

        with op.batch_alter_table('centre', schema=None) as batch_op:
            batch_op.drop_column('updated_at')
            batch_op.drop_column('presentation')
            batch_op.drop_column('summary')
            for name in reversed(CENTRE_LISTS):
                batch_op.drop_column(name)
            batch_op.drop_column('acceslibre_url')
            batch_op.drop_column('website')
            batch_op.drop_column('typology')
            batch_op.drop_column('longitude')
            batch_op.drop_column('latitude')
            batch_op.drop_column('insee_code')
            batch_op.drop_column('commune')
            batch_op.drop_column('postal_code')
            batch_op.drop_column('siret_or_rna')
