"""re-judged runs link their parent; samples say what decided them (rule | judge) and keep a human label

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 18:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('eval_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_run_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_eval_run_parent_run_id', ['parent_run_id'], unique=False)
        batch_op.create_foreign_key('fk_eval_run_parent_run_id_eval_run', 'eval_run',
                                    ['parent_run_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('eval_sample', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decided_by', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('human_verdict', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('human_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('human_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('eval_sample', schema=None) as batch_op:
        batch_op.drop_column('human_at')
        batch_op.drop_column('human_note')
        batch_op.drop_column('human_verdict')
        batch_op.drop_column('decided_by')
    with op.batch_alter_table('eval_run', schema=None) as batch_op:
        batch_op.drop_constraint('fk_eval_run_parent_run_id_eval_run', type_='foreignkey')
        batch_op.drop_index('ix_eval_run_parent_run_id')
        batch_op.drop_column('parent_run_id')
