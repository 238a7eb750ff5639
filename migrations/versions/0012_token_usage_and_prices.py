"""samples keep the judge's token usage; models get optional prices per million input / output tokens

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 21:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('eval_sample', schema=None) as batch_op:
        batch_op.add_column(sa.Column('judge_prompt_tokens', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('judge_completion_tokens', sa.Integer(), nullable=True))
    with op.batch_alter_table('model_endpoint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_input_per_m', sa.Numeric(precision=14, scale=6), nullable=True))
        batch_op.add_column(sa.Column('price_output_per_m', sa.Numeric(precision=14, scale=6), nullable=True))


def downgrade():
    with op.batch_alter_table('model_endpoint', schema=None) as batch_op:
        batch_op.drop_column('price_output_per_m')
        batch_op.drop_column('price_input_per_m')
    with op.batch_alter_table('eval_sample', schema=None) as batch_op:
        batch_op.drop_column('judge_completion_tokens')
        batch_op.drop_column('judge_prompt_tokens')
