"""audit events written with ``current_user`` as their object name a user, not "localproxy"

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 18:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # Only a user's own password change passed the ``current_user`` proxy as its target.
    op.execute("UPDATE audit_event SET target_type = 'user' "
               "WHERE target_type = 'localproxy' AND action LIKE 'user.%'")


def downgrade():
    pass  # the old name was a bug; nothing to restore
