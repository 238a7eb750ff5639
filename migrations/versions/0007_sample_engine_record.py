"""samples keep the engine's record of their answer (resume anywhere from the rows)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 18:50:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('eval_sample', schema=None) as batch_op:
        batch_op.add_column(sa.Column('engine_record', sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql'),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('eval_sample', schema=None) as batch_op:
        batch_op.drop_column('engine_record')
