"""published evaluation runs; each run's dataset selections as rows (eval_run_dataset), filled from params

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 18:45:00

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('eval_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_eval_run_published'), ['published'], unique=False)
    table = op.create_table('eval_run_dataset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('subsets', sa.Text(), nullable=False),
    sa.Column('split', sa.String(length=128), nullable=True),
    sa.Column('sample_limit', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], name=op.f('fk_eval_run_dataset_dataset_id_dataset'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['eval_run.id'], name=op.f('fk_eval_run_dataset_run_id_eval_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eval_run_dataset')),
    sa.UniqueConstraint('run_id', 'dataset_id', name='uq_eval_run_dataset_run')
    )
    with op.batch_alter_table('eval_run_dataset', schema=None) as batch_op:
        batch_op.create_index('ix_eval_run_dataset_dataset', ['dataset_id', 'version'], unique=False)
    _backfill(table)


def _backfill(table):
    """One row per selection of every existing run (params['datasets']), for datasets that still exist."""
    conn = op.get_bind()
    datasets = {row[0] for row in conn.execute(sa.text("SELECT id FROM dataset"))}
    rows = []
    for run_id, params in conn.execute(sa.text("SELECT id, params FROM eval_run")):
        params = json.loads(params) if isinstance(params, str) else (params or {})
        seen = set()
        for s in params.get("datasets") or []:
            if s.get("dataset_id") in datasets and s["dataset_id"] not in seen:
                seen.add(s["dataset_id"])
                rows.append({"run_id": run_id, "dataset_id": s["dataset_id"], "version": s.get("version") or 1,
                             "subsets": ",".join(sorted(s.get("subsets") or [])), "split": s.get("split"),
                             "sample_limit": s.get("limit")})
    if rows:
        op.bulk_insert(table, rows)


def downgrade():
    op.drop_table('eval_run_dataset')  # its indexes go with it (MySQL keeps one a foreign key needs)
    with op.batch_alter_table('eval_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eval_run_published'))
        batch_op.drop_column('published_at')
        batch_op.drop_column('published')
