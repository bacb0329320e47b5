"""privacy: retention settings; anonymised bookings, residents, call-back requests and messages

Revision ID: 0009_privacy
Revises: 0008_stats_session_day
Create Date: 2026-12-03 17:30:00

"""
import sqlalchemy as sa
from alembic import op

import tiers_lieu.database


# revision identifiers, used by Alembic.
revision = '0009_privacy'
down_revision = '0008_stats_session_day'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('retention_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_months', sa.Integer(), nullable=False),
    sa.Column('booking_months', sa.Integer(), nullable=False),
    sa.Column('callback_months', sa.Integer(), nullable=False),
    sa.Column('message_months', sa.Integer(), nullable=False),
    sa.Column('audit_author_months', sa.Integer(), nullable=False),
    sa.Column('protection_contact', sa.String(length=300), nullable=False),
    sa.CheckConstraint('audit_author_months BETWEEN 1 AND 120', name=op.f('ck_retention_settings_audit_author_months_in_range')),
    sa.CheckConstraint('booking_months BETWEEN 1 AND 120', name=op.f('ck_retention_settings_booking_months_in_range')),
    sa.CheckConstraint('callback_months BETWEEN 1 AND 120', name=op.f('ck_retention_settings_callback_months_in_range')),
    sa.CheckConstraint('message_months BETWEEN 1 AND 120', name=op.f('ck_retention_settings_message_months_in_range')),
    sa.CheckConstraint('resident_months BETWEEN 1 AND 120', name=op.f('ck_retention_settings_resident_months_in_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_settings'))
    )
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', tiers_lieu.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column('token_hash',
               existing_type=sa.VARCHAR(length=64),
               nullable=True)

    with op.batch_alter_table('callback_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', tiers_lieu.database.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', tiers_lieu.database.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', tiers_lieu.database.UTCDateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')

    with op.batch_alter_table('callback_request', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')

    # Anonymised bookings lost their secret link's hash: give each a value that opens nothing.
    op.execute("UPDATE booking SET token_hash = 'anonymised-' || id WHERE token_hash IS NULL")
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.alter_column('token_hash',
               existing_type=sa.VARCHAR(length=64),
               nullable=False)
        batch_op.drop_column('anonymised_at')

    op.drop_table('retention_settings')
