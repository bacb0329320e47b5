"""statistics: indexes for a facilitator's or a place's period, a resident's first visit, named attendees

Revision ID: 0007_stats_indexes
Revises: 0006_desk
Create Date: 2026-11-25 14:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_stats_indexes'
down_revision = '0006_desk'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('help_session', schema=None) as batch_op:
        batch_op.create_index('ix_help_session_facilitator_id_day', ['facilitator_id', 'day'], unique=False)
        batch_op.create_index('ix_help_session_location_id_day', ['location_id', 'day'], unique=False)
    with op.batch_alter_table('help_session_attendee', schema=None) as batch_op:
        batch_op.create_index('ix_help_session_attendee_resident_id_session_id', ['resident_id', 'session_id'],
                              unique=False)
        batch_op.create_index('ix_help_session_attendee_session_id_people', ['session_id', 'resident_id', 'booking_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('help_session_attendee', schema=None) as batch_op:
        batch_op.drop_index('ix_help_session_attendee_session_id_people')
        batch_op.drop_index('ix_help_session_attendee_resident_id_session_id')
    with op.batch_alter_table('help_session', schema=None) as batch_op:
        batch_op.drop_index('ix_help_session_location_id_day')
        batch_op.drop_index('ix_help_session_facilitator_id_day')
