from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.errors import InvalidFeedbackError
from bot.db.models import FaqFeedback, UnansweredQuestion, UnansweredReason
from bot.db.repositories import knowledge_feedback
from bot.db.repositories.knowledge_feedback import (
    ArticleHelpfulness,
    article_helpfulness,
    record_feedback,
    record_unanswered,
    unanswered_since,
)

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


def feedback_rows(session: Session) -> list[tuple[str, str, str, bool]]:
    rows = session.execute(
        select(
            FaqFeedback.conversation_id,
            FaqFeedback.article_id,
            FaqFeedback.question,
            FaqFeedback.helpful,
        ).order_by(FaqFeedback.id)
    ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_feedback_is_stored(db_session: Session) -> None:
    row = record_feedback(db_session, "conv-1", "shipping_costs", "delivery price?", True, NOW)
    assert row.id is not None
    db_session.expire_all()
    stored = db_session.get(FaqFeedback, row.id)
    assert stored is not None
    assert (stored.question, stored.helpful, stored.created_at) == ("delivery price?", True, NOW)


def test_rating_the_same_answer_again_updates_the_row(db_session: Session) -> None:
    first = record_feedback(db_session, "conv-1", "shipping_costs", "delivery price?", True, NOW)
    later = NOW + timedelta(minutes=5)
    second = record_feedback(db_session, "conv-1", "shipping_costs", "", False, later)
    assert second.id == first.id
    db_session.expire_all()
    assert feedback_rows(db_session) == [("conv-1", "shipping_costs", "delivery price?", False)]
    stored = db_session.get(FaqFeedback, first.id)
    assert stored is not None and stored.created_at == NOW


def test_a_new_question_replaces_the_old_one(db_session: Session) -> None:
    record_feedback(db_session, "conv-1", "shipping_costs", "old", False, NOW)
    record_feedback(db_session, "conv-1", "shipping_costs", "new", True, NOW)
    assert feedback_rows(db_session) == [("conv-1", "shipping_costs", "new", True)]


def test_each_conversation_and_article_gets_its_own_row(db_session: Session) -> None:
    record_feedback(db_session, "conv-1", "shipping_costs", "q", True, NOW)
    record_feedback(db_session, "conv-1", "returns_policy", "q", False, NOW)
    record_feedback(db_session, "conv-2", "shipping_costs", "q", False, NOW)
    assert db_session.execute(select(func.count()).select_from(FaqFeedback)).scalar() == 3


def test_a_row_inserted_concurrently_is_updated(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another transaction inserts the row between the look-up and the insert.
    db_session.add(
        FaqFeedback(
            conversation_id="conv-1",
            article_id="shipping_costs",
            question="earlier",
            helpful=True,
            created_at=NOW,
        )
    )
    db_session.flush()
    find = knowledge_feedback._find_feedback
    calls = []

    def find_too_early(*args: object) -> object:
        calls.append(args)
        return None if len(calls) == 1 else find(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(knowledge_feedback, "_find_feedback", find_too_early)
    row = record_feedback(db_session, "conv-1", "shipping_costs", "", False, NOW)
    assert len(calls) == 2
    assert (row.question, row.helpful) == ("earlier", False)
    assert feedback_rows(db_session) == [("conv-1", "shipping_costs", "earlier", False)]


def test_the_database_allows_one_rating_per_conversation_and_article(db_session: Session) -> None:
    insert = text(
        "INSERT INTO faq_feedback (conversation_id, article_id, question, helpful, created_at) "
        "VALUES ('c', 'a', '', :helpful, '2024-01-01 00:00:00')"
    )
    db_session.execute(insert, {"helpful": True})
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(insert, {"helpful": False})


@pytest.mark.parametrize(
    ("conversation_id", "article_id"), [("", "shipping"), ("  ", "shipping"), ("conv", "")]
)
def test_feedback_needs_a_conversation_and_an_article(
    db_session: Session, conversation_id: str, article_id: str
) -> None:
    with pytest.raises(InvalidFeedbackError):
        record_feedback(db_session, conversation_id, article_id, "q", True)


def test_unanswered_question_is_stored_with_its_reason(db_session: Session) -> None:
    row = record_unanswered(db_session, "conv-1", "can I pay in bitcoin", "fallback", now=NOW)
    suggestion = record_unanswered(
        db_session, "conv-1", "vouchers", UnansweredReason.LOW_CONFIDENCE, "gift_cards_buy", NOW
    )
    db_session.expire_all()
    stored = db_session.get(UnansweredQuestion, row.id)
    assert stored is not None
    assert (stored.question, stored.reason, stored.article_id, stored.created_at) == (
        "can I pay in bitcoin",
        UnansweredReason.FALLBACK,
        None,
        NOW,
    )
    offered = db_session.get(UnansweredQuestion, suggestion.id)
    assert offered is not None
    assert (offered.reason, offered.article_id) == (
        UnansweredReason.LOW_CONFIDENCE,
        "gift_cards_buy",
    )


def test_unknown_reason_is_refused(db_session: Session) -> None:
    with pytest.raises(InvalidFeedbackError, match="fallback, low_confidence, unhelpful"):
        record_unanswered(db_session, "conv-1", "q", "confused")
    with pytest.raises(InvalidFeedbackError):
        record_unanswered(db_session, "", "q", "fallback")


def test_reason_check_constraint_rejects_unknown_values(db_session: Session) -> None:
    insert = text(
        "INSERT INTO unanswered_questions (conversation_id, question, reason, created_at) "
        "VALUES ('c', 'q', :reason, '2024-01-01 00:00:00')"
    )
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(insert, {"reason": "confused"})
    db_session.execute(insert, {"reason": "unhelpful"})


def vote(session: Session, article_id: str, helpful: int, unhelpful: int) -> None:
    for n in range(helpful + unhelpful):
        record_feedback(session, f"{article_id}-{n}", article_id, "", n < helpful, NOW)


def test_articles_are_ranked_by_share_of_helpful_ratings_then_by_votes(
    db_session: Session,
) -> None:
    vote(db_session, "returns_policy", helpful=1, unhelpful=3)
    vote(db_session, "shipping", helpful=2, unhelpful=0)
    vote(db_session, "shipping_costs", helpful=3, unhelpful=1)
    vote(db_session, "gift_cards_buy", helpful=4, unhelpful=0)
    vote(db_session, "warranty", helpful=0, unhelpful=1)
    vote(db_session, "contact_hours", helpful=2, unhelpful=0)
    ranking = article_helpfulness(db_session)
    assert ranking == [
        ArticleHelpfulness("gift_cards_buy", 4, 0),
        ArticleHelpfulness("contact_hours", 2, 0),
        ArticleHelpfulness("shipping", 2, 0),
        ArticleHelpfulness("shipping_costs", 3, 1),
        ArticleHelpfulness("returns_policy", 1, 3),
        ArticleHelpfulness("warranty", 0, 1),
    ]
    assert [rating.ratio for rating in ranking] == [1.0, 1.0, 1.0, 0.75, 0.25, 0.0]
    assert ranking[3].votes == 4


def test_a_changed_rating_counts_once(db_session: Session) -> None:
    record_feedback(db_session, "conv-1", "shipping", "", False, NOW)
    record_feedback(db_session, "conv-1", "shipping", "", True, NOW)
    assert article_helpfulness(db_session) == [ArticleHelpfulness("shipping", 1, 0)]


def test_no_ratings_no_ranking(db_session: Session) -> None:
    assert article_helpfulness(db_session) == []


def test_unanswered_since_returns_the_period_newest_first(db_session: Session) -> None:
    for days_ago, question in ((40, "old"), (10, "ten"), (1, "one"), (3, "three")):
        record_unanswered(db_session, "c", question, "fallback", now=NOW - timedelta(days=days_ago))
    record_unanswered(
        db_session, "c", "boundary", "unhelpful", "shipping", NOW - timedelta(days=30)
    )
    since = NOW - timedelta(days=30)
    assert [row.question for row in unanswered_since(db_session, since)] == [
        "one",
        "three",
        "ten",
        "boundary",
    ]
    assert unanswered_since(db_session, NOW) == []


def test_unanswered_since_needs_an_aware_datetime(db_session: Session) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        unanswered_since(db_session, datetime(2024, 1, 1))
