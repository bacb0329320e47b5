"""privacy: walk-in tickets found by resident (the purge's last visit, a person's access export)

Revision ID: 0010_ticket_resident_index
Revises: 0009_privacy
Create Date: 2026-12-04 00:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010_ticket_resident_index'
down_revision = '0009_privacy'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('queue_ticket', schema=None) as batch_op:
        batch_op.create_index('ix_queue_ticket_resident_id_issued_at', ['resident_id', 'issued_at'], unique=False)


def downgrade():
    with op.batch_alter_table('queue_ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_ticket_resident_id_issued_at')
