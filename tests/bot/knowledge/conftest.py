"""Fixtures for the knowledge base tests: a small, valid knowledge directory."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable, Optional, Sequence

import pytest

TOPICS = """\
topics:
  shipping: Delivery costs and times.
  returns_policy: Returns and refunds.
"""

POLICIES = """\
currency: EUR
returns:
  window_days: 30
  refund_days: 5
  exchange_window_days: 30
  free_return_zones: [domestic]
  non_returnable: [gift cards, personalised items, final sale items]
shipping:
  dispatch_cutoff: "14:00"
  carriers: [An Post, DPD]
  zones:
    domestic:
      name: Ireland
      cost_cents: 495
      currency: EUR
      min_days: 1
      max_days: 3
      free_threshold_cents: 5000
    international:
      name: the rest of the world
      cost_cents: 1995
      currency: USD
      min_days: 5
      max_days: 12
      free_threshold_cents: null
  express:
    zones: [domestic]
    cost_cents: 995
    currency: EUR
    min_days: 1
    max_days: 1
    cutoff: "12:00"
loyalty:
  points_expiry_months: 24
  redemption: {points_per_unit: 100, min_points: 500}
  tiers:
    bronze: {name: Bronze, min_points: 0, points_per_unit: 1}
    gold: {name: Gold, min_points: 3000, points_per_unit: 3}
warranty:
  months: 24
  claim_decision_days: 5
contact:
  timezone: Europe/Dublin
  hours:
    monday: {open: "08:00", close: "20:00"}
    tuesday: {open: "08:00", close: "20:00"}
    wednesday: {open: "08:00", close: "20:00"}
    thursday: {open: "08:00", close: "20:00"}
    friday: {open: "08:00", close: "18:00"}
    saturday: closed
    sunday: closed
  channels:
    email: {label: Email, address: support@shop.example, response_hours: 24}
cancellation:
  cancellable_statuses: [pending, paid]
  refund_days: 3
order_changes:
  editable_statuses: [pending, paid]
  gift_message_max_chars: 250
gift_cards:
  validity_months: 60
  min_value_cents: 1000
  max_value_cents: 50000
  currency: EUR
payment:
  methods: [Visa, PayPal, Klarna]
"""

QUESTIONS = {
    "shipping": [
        "how does shipping work",
        "shipping info",
        "tell me about delivery",
        "what delivery options are there",
        "do you deliver",
    ],
    "shipping_costs": [
        "how much is shipping",
        "shipping cost",
        "is delivery free",
        "postage price",
        "what do you charge for delivery",
    ],
    "returns_policy": [
        "what is your returns policy",
        "can I send things back",
        "returns",
        "how do returns work",
        "do you accept returns",
    ],
}

ANSWERS = {
    "shipping": "We ship with {{ join(policies.shipping.carriers) }}.",
    "shipping_costs": (
        "Delivery costs {{ money(policies.shipping.zones.domestic.cost_cents) }}, "
        "free over {{ money(policies.shipping.zones.domestic.free_threshold_cents) }}."
    ),
    "returns_policy": "Return items within {{ policies.returns.window_days }} days of delivery.",
}

ArticleWriter = Callable[..., Path]


def article_text(
    article_id: str,
    *,
    topic: Optional[str] = None,
    title: Optional[str] = "A title?",
    questions: Optional[Sequence[str]] = None,
    answer: str = "An answer.",
    last_reviewed: Optional[str] = "2026-11-01",
    tags: str = "[test]",
) -> str:
    """Builds the text of an article file; ``None`` leaves a field out."""
    lines = ["---", f"id: {article_id}"]
    if title is not None:
        lines.append(f"title: {title}")
    lines.append(f"topic: {topic if topic is not None else article_id.split('_')[0]}")
    lines.append("questions:")
    lines.extend(f"  - {question}" for question in (questions or []))
    lines.append(f"tags: {tags}")
    if last_reviewed is not None:
        lines.append(f"last_reviewed: {last_reviewed}")
    lines.extend(["---", answer, ""])
    return "\n".join(lines)


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    """A valid knowledge directory with three articles in two topics."""
    directory = tmp_path / "knowledge"
    (directory / "articles").mkdir(parents=True)
    (directory / "topics.yml").write_text(TOPICS, encoding="utf-8")
    (directory / "policies.yml").write_text(POLICIES, encoding="utf-8")
    for article_id, questions in QUESTIONS.items():
        topic = "returns_policy" if article_id.startswith("returns_policy") else "shipping"
        (directory / "articles" / f"{article_id}.md").write_text(
            article_text(article_id, topic=topic, questions=questions, answer=ANSWERS[article_id]),
            encoding="utf-8",
        )
    return directory


@pytest.fixture
def write_article(knowledge_dir: Path) -> ArticleWriter:
    """Writes (or overwrites) ``articles/<name>.md`` with raw text or built fields."""

    def write(name: str, text: Optional[str] = None, **fields: object) -> Path:
        path = knowledge_dir / "articles" / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            text = article_text(name.split("/")[-1], **fields)  # type: ignore[arg-type]
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def outputs(tmp_path: Path) -> tuple[Path, Path]:
    """Paths for the generated training data and index, outside the project."""
    return tmp_path / "out" / "faq.generated.yml", tmp_path / "out" / "index.json"
