"""perf: benchmark runs (evalscope perf) and their concurrency levels

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 06:28:46.716381

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('perf_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=True),
    sa.Column('endpoint_name', sa.String(length=128), nullable=False),
    sa.Column('target_key', sa.String(length=40), nullable=False),
    sa.Column('waiting', sa.Boolean(), nullable=False),
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
    sa.Column('peak_req_per_s', sa.Float(), nullable=True),
    sa.Column('peak_output_tok_per_s', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['endpoint_id'], ['model_endpoint.id'], name=op.f('fk_perf_run_endpoint_id_model_endpoint'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_perf_run_owner_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_perf_run'))
    )
    with op.batch_alter_table('perf_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_perf_run_endpoint_id'), ['endpoint_id'], unique=False)
        batch_op.create_index('ix_perf_run_owner_created', ['owner_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_perf_run_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_perf_run_status'), ['status'], unique=False)
        batch_op.create_index('ix_perf_run_target_status', ['target_key', 'status'], unique=False)

    op.create_table('perf_level',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('concurrency', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('total_requests', sa.Integer(), nullable=False),
    sa.Column('succeeded', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('req_per_s', sa.Float(), nullable=True),
    sa.Column('output_tok_per_s', sa.Float(), nullable=True),
    sa.Column('total_tok_per_s', sa.Float(), nullable=True),
    sa.Column('avg_latency_s', sa.Float(), nullable=True),
    sa.Column('avg_ttft_ms', sa.Float(), nullable=True),
    sa.Column('avg_tpot_ms', sa.Float(), nullable=True),
    sa.Column('avg_itl_ms', sa.Float(), nullable=True),
    sa.Column('avg_input_tokens', sa.Float(), nullable=True),
    sa.Column('avg_output_tokens', sa.Float(), nullable=True),
    sa.Column('p50_latency_s', sa.Float(), nullable=True),
    sa.Column('p99_latency_s', sa.Float(), nullable=True),
    sa.Column('p50_ttft_ms', sa.Float(), nullable=True),
    sa.Column('p99_ttft_ms', sa.Float(), nullable=True),
    sa.Column('p50_tpot_ms', sa.Float(), nullable=True),
    sa.Column('p99_tpot_ms', sa.Float(), nullable=True),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('percentiles', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['perf_run.id'], name=op.f('fk_perf_level_run_id_perf_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_perf_level')),
    sa.UniqueConstraint('run_id', 'position', name='uq_perf_level_run_id_position')
    )


def downgrade():
    # Dropping a table drops its indexes; dropping FK-backed indexes first fails on MySQL/MariaDB.
    op.drop_table('perf_level')
    op.drop_table('perf_run')
