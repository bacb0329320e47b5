"""statistics: help sessions counted per day for the dashboard; covering indexes for a period's sessions, slots and tickets

Revision ID: 0008_stats_session_day
Revises: 0007_stats_indexes
Create Date: 2026-12-01 08:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008_stats_session_day'
down_revision = '0007_stats_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stats_session_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('dimension', sa.String(length=24), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'dimension', 'key', name=op.f('pk_stats_session_day'))
    )
    with op.batch_alter_table('help_session', schema=None) as batch_op:
        batch_op.create_index('ix_help_session_day_first_visit_autonomy', ['day', 'first_visit', 'autonomy'],
                              unique=False)
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.create_index('ix_slot_starts_at_cancelled_capacity_ends_at',
                              ['starts_at', 'cancelled', 'capacity', 'ends_at'], unique=False)
    with op.batch_alter_table('queue_ticket', schema=None) as batch_op:
        batch_op.create_index('ix_queue_ticket_day_called_at_issued_at', ['day', 'called_at', 'issued_at'],
                              unique=False)
    # The sessions already logged are counted by 0016_national_counts, with the application's own
    # counting: it reads the newest schema's columns (0015's gender, commune, themes…), which do
    # not exist yet at this point of an upgrade.


def downgrade():
    with op.batch_alter_table('queue_ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_ticket_day_called_at_issued_at')
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.drop_index('ix_slot_starts_at_cancelled_capacity_ends_at')
    with op.batch_alter_table('help_session', schema=None) as batch_op:
        batch_op.drop_index('ix_help_session_day_first_visit_autonomy')
    op.drop_table('stats_session_day')
