"""judge panels: each judge's verdict and reply on each sample of a run judged by two or three judges

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 21:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'eval_judge_verdict',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sample_id', sa.Integer(), nullable=False),
        sa.Column('judge_index', sa.Integer(), nullable=False),
        sa.Column('judge_endpoint_id', sa.Integer(), nullable=True),
        sa.Column('judge_name', sa.String(length=128), nullable=False),
        sa.Column('verdict', sa.String(length=16), nullable=True),
        sa.Column('score', sa.Float(), nullable=True),
        sa.Column('reply', sa.Text(), nullable=True),
        sa.Column('usable', sa.Boolean(), nullable=False),
        sa.Column('prompt_tokens', sa.Integer(), nullable=True),
        sa.Column('completion_tokens', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['judge_endpoint_id'], ['model_endpoint.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['sample_id'], ['eval_sample.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('sample_id', 'judge_index', name='uq_eval_judge_verdict_sample_judge'),
    )


def downgrade():
    op.drop_table('eval_judge_verdict')
