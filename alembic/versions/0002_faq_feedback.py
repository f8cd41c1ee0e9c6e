"""FAQ feedback: ratings of answers and the questions the assistant could not answer.

Revision ID: 0002
Revises: 0001
Create Date: 2024-12-02 00:00:00
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _enum(name: str, *values: str) -> sa.Enum:
    # Stored as VARCHAR with a CHECK constraint: the same on SQLite and PostgreSQL.
    # The constraint is named ck_<table>_<name> by the metadata naming convention.
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "faq_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("article_id", sa.String(length=100), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_feedback")),
        sa.UniqueConstraint(
            "conversation_id", "article_id", name=op.f("uq_faq_feedback_conversation_id_article_id")
        ),
    )
    op.create_index(
        op.f("ix_faq_feedback_article_id"), "faq_feedback", ["article_id"], unique=False
    )

    op.create_table(
        "unanswered_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column(
            "reason",
            _enum("unanswered_reason", "fallback", "low_confidence", "unhelpful"),
            nullable=False,
        ),
        sa.Column("article_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unanswered_questions")),
    )
    op.create_index(
        op.f("ix_unanswered_questions_conversation_id"),
        "unanswered_questions",
        ["conversation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_unanswered_questions_created_at"),
        "unanswered_questions",
        ["created_at"],
        unique=False,
    )


def downgrade() -> None:
    for table in ("unanswered_questions", "faq_feedback"):
        op.drop_table(table)
