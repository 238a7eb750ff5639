"""chat: conversations, their model slots, messages and preferences

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 06:22:11.851522

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('conversation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_conversation_owner_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation'))
    )
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_owner_updated', ['owner_id', 'updated_at'], unique=False)

    op.create_table('chat_slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=True),
    sa.Column('endpoint_name', sa.String(length=128), nullable=False),
    sa.Column('system_prompt', sa.Text(), nullable=False),
    sa.Column('temperature', sa.Float(), nullable=True),
    sa.Column('max_tokens', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_chat_slot_conversation_id_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['endpoint_id'], ['model_endpoint.id'], name=op.f('fk_chat_slot_endpoint_id_model_endpoint'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_slot')),
    sa.UniqueConstraint('conversation_id', 'slot', name='uq_chat_slot_conversation_slot')
    )
    with op.batch_alter_table('chat_slot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_slot_endpoint_id'), ['endpoint_id'], unique=False)

    op.create_table('chat_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('turn', sa.Integer(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('content', sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mariadb').with_variant(mysql.MEDIUMTEXT(), 'mysql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('endpoint_id', sa.Integer(), nullable=True),
    sa.Column('endpoint_name', sa.String(length=128), nullable=True),
    sa.Column('finish_reason', sa.String(length=32), nullable=True),
    sa.Column('ttft_ms', sa.Float(), nullable=True),
    sa.Column('latency_ms', sa.Float(), nullable=True),
    sa.Column('prompt_tokens', sa.Integer(), nullable=True),
    sa.Column('completion_tokens', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_chat_message_conversation_id_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['endpoint_id'], ['model_endpoint.id'], name=op.f('fk_chat_message_endpoint_id_model_endpoint'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_message'))
    )
    with op.batch_alter_table('chat_message', schema=None) as batch_op:
        batch_op.create_index('ix_chat_message_conversation_turn', ['conversation_id', 'turn', 'slot'], unique=True)
        batch_op.create_index(batch_op.f('ix_chat_message_endpoint_id'), ['endpoint_id'], unique=False)

    op.create_table('chat_preference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('turn', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_chat_preference_conversation_id_conversation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_preference')),
    sa.UniqueConstraint('conversation_id', 'turn', name='uq_chat_preference_conversation_turn')
    )


def downgrade():
    # only the chat tables, children first (their indexes go with them)
    op.drop_table('chat_preference')
    op.drop_table('chat_message')
    op.drop_table('chat_slot')
    op.drop_table('conversation')
