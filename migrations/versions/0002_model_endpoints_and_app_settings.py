"""model endpoints and app settings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 06:19:26.702394

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('app_setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_setting'))
    )
    op.create_table('model_endpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('base_url', sa.String(length=512), nullable=False),
    sa.Column('model_name', sa.String(length=191), nullable=False),
    sa.Column('api_key_encrypted', sa.Text(), nullable=True),
    sa.Column('api_key_last4', sa.String(length=4), nullable=True),
    sa.Column('temperature', sa.Float(), nullable=True),
    sa.Column('max_tokens', sa.Integer(), nullable=True),
    sa.Column('top_p', sa.Float(), nullable=True),
    sa.Column('extra_body', sa.JSON(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('max_concurrency', sa.Integer(), nullable=False),
    sa.Column('judge', sa.Boolean(), nullable=False),
    sa.Column('check_status', sa.String(length=16), nullable=True),
    sa.Column('check_message', sa.String(length=500), nullable=True),
    sa.Column('check_ttft_ms', sa.Float(), nullable=True),
    sa.Column('check_latency_ms', sa.Float(), nullable=True),
    sa.Column('check_model_listed', sa.Boolean(), nullable=True),
    sa.Column('checked_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_model_endpoint_owner_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_endpoint'))
    )
    with op.batch_alter_table('model_endpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_endpoint_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_model_endpoint_owner_name', ['owner_id', 'name'], unique=False)



def downgrade():
    op.drop_table('model_endpoint')
    op.drop_table('app_setting')
