"""evaluations and samples

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 06:29:54.373926

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('eval_run',
    sa.Column('engine', sa.String(length=32), nullable=False),
    sa.Column('engine_version', sa.String(length=32), nullable=True),
    sa.Column('judge_endpoint_id', sa.Integer(), nullable=True),
    sa.Column('judge_name', sa.String(length=128), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('sample_errors', sa.Integer(), nullable=False),
    sa.Column('rerun_of_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_note', sa.String(length=255), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=False),
    sa.Column('rq_job_id', sa.String(length=64), nullable=True),
    sa.Column('worker_name', sa.String(length=128), nullable=True),
    sa.Column('work_dir', sa.String(length=512), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('endpoint_name', sa.String(length=128), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['endpoint_id'], ['model_endpoint.id'], name=op.f('fk_eval_run_endpoint_id_model_endpoint'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['judge_endpoint_id'], ['model_endpoint.id'], name=op.f('fk_eval_run_judge_endpoint_id_model_endpoint'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_eval_run_owner_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rerun_of_id'], ['eval_run.id'], name=op.f('fk_eval_run_rerun_of_id_eval_run'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eval_run'))
    )
    with op.batch_alter_table('eval_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eval_run_endpoint_id'), ['endpoint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_eval_run_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_eval_run_status'), ['status'], unique=False)

    op.create_table('eval_sample',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('dataset_name', sa.String(length=128), nullable=False),
    sa.Column('subset', sa.String(length=128), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('row_key', sa.String(length=191), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('reference', sa.Text(), nullable=True),
    sa.Column('prediction', sa.Text(), nullable=True),
    sa.Column('extracted', sa.Text(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('judge_rationale', sa.Text(), nullable=True),
    sa.Column('latency_ms', sa.Float(), nullable=True),
    sa.Column('prompt_tokens', sa.Integer(), nullable=True),
    sa.Column('completion_tokens', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['eval_run.id'], name=op.f('fk_eval_sample_run_id_eval_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eval_sample')),
    sa.UniqueConstraint('run_id', 'dataset_id', 'subset', 'position', name='uq_eval_sample_key')
    )
    with op.batch_alter_table('eval_sample', schema=None) as batch_op:
        batch_op.create_index('ix_eval_sample_run_verdict', ['run_id', 'verdict'], unique=False)



def downgrade():
    op.drop_table('eval_sample')
    op.drop_table('eval_run')
