"""blind arena: arena conversations; votes (chat preferences) keep a reason and whether they were blind

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 21:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('arena', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('chat_preference', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('blind', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('chat_preference', schema=None) as batch_op:
        batch_op.drop_column('blind')
        batch_op.drop_column('reason')
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_column('arena')
