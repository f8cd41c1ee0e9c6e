"""Apologies that sound like a person wrote them: specific, by name, with a way forward.

An apology names the customer when they are verified, names what went wrong
("your order ORD-104233", "the damaged blue desk lamp", "the payment"),
acknowledges it, and offers the next best step: sort it out here and now, or
talk to a person. Each situation has several wordings; which one is used
depends only on the conversation and the turn, so a conversation never gets
the same sentence twice in a row and tests stay stable.

The module is pure: :func:`issue_from_conversation` reads the tracker's
events and slots, :func:`compose` writes the apology.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

TALK_TO_A_PERSON = {"title": "Talk to a person", "payload": "/request_human"}
SORT_IT_OUT = "Sort it out now"
TRY_AGAIN = "Try again"
SEE_WHAT_I_CAN_DO = "See what I can do"
HELP_PAYLOAD = "/help"


class Situation(str, enum.Enum):
    """Why the assistant apologises."""

    COMPLAINT = "complaint"
    NEGATIVE = "negative"
    FALLBACK = "fallback"
    FAILURE = "failure"
    ESCALATING = "escalating"


@dataclass(frozen=True)
class _Topic:
    issue: str
    issue_of_order: str  # with ``{order}``, used when the order number is known
    fix: str
    payload: str


_TOPICS: Mapping[str, _Topic] = {
    "order_status": _Topic(
        "your order", "your order {order}", "check where your order is", "/order_status"
    ),
    "cancel_order": _Topic(
        "your cancellation",
        "the cancellation of order {order}",
        "go through the cancellation with you",
        "/cancel_order",
    ),
    "return_refund": _Topic(
        "your return",
        "your return for order {order}",
        "check your return and refund",
        "/return_refund",
    ),
    "damaged_or_wrong_item": _Topic(
        "the item that arrived damaged or wrong",
        "the item that arrived damaged or wrong in order {order}",
        "arrange a replacement or a refund",
        "/damaged_or_wrong_item",
    ),
    "change_delivery_address": _Topic(
        "the delivery address",
        "the delivery address of order {order}",
        "update the delivery address",
        "/change_delivery_address",
    ),
    "payment_problem": _Topic(
        "the payment",
        "the payment for order {order}",
        "look into the payment",
        "/payment_problem",
    ),
    "account_issue": _Topic(
        "your account", "your account", "help you get back into your account", "/account_issue"
    ),
    "loyalty_points": _Topic(
        "your loyalty points", "your loyalty points", "check your points", "/loyalty_points"
    ),
    "privacy_request": _Topic(
        "your privacy request",
        "your privacy request",
        "take your privacy request",
        "/privacy_request",
    ),
}

# The intent a form belongs to: while a form runs, it is the issue.
FORM_TOPICS: Mapping[str, str] = {
    "order_status_form": "order_status",
    "cancel_order_form": "cancel_order",
    "return_form": "return_refund",
    "damaged_item_form": "damaged_or_wrong_item",
    "change_address_form": "change_delivery_address",
    "payment_problem_form": "payment_problem",
    "loyalty_form": "loyalty_points",
    "privacy_form": "privacy_request",
}

_PROBLEM_ADJECTIVES = {
    "damaged_item": "damaged",
    "wrong_item": "wrong",
    "missing_parts": "incomplete",
}
_PROBLEM_ITEMS = {
    "damaged_item": "the damaged item",
    "wrong_item": "the wrong item",
    "missing_parts": "the item with missing parts",
}
_QUANTITY_PREFIX = re.compile(r"^\d+\s*[x\u00d7]\s+", re.IGNORECASE)

GENERIC_ISSUE = "this"
GENERIC_FIX = "look into it with you"
GENERIC_FALLBACK_FIX = "show you everything I can help with"


@dataclass(frozen=True)
class Issue:
    """What the customer's trouble is about, as far as the conversation shows.

    Attributes:
        topic: The intent of the flow concerned (``order_status``,
            ``payment_problem`` …), or ``None`` when nothing is known.
        order_number: The order the customer named, if any.
        product: The product concerned, e.g. ``blue desk lamp``.
        problem: What is wrong with it: ``damaged_item``, ``wrong_item`` or
            ``missing_parts``.
    """

    topic: Optional[str] = None
    order_number: Optional[str] = None
    product: Optional[str] = None
    problem: Optional[str] = None

    @property
    def known(self) -> bool:
        """Whether the issue is one of the assistant's flows."""
        return self.topic in _TOPICS

    def phrase(self) -> str:
        """Names the issue, e.g. ``the payment for order ORD-104233`` or ``the damaged mug``."""
        topic = _TOPICS.get(self.topic or "")
        if topic is None:
            return GENERIC_ISSUE
        if self.topic == "damaged_or_wrong_item" and (self.product or self.problem):
            adjective = _PROBLEM_ADJECTIVES.get(self.problem or "")
            if self.product:
                return f"the {adjective} {self.product}" if adjective else f"the {self.product}"
            return _PROBLEM_ITEMS.get(self.problem or "", topic.issue)
        if self.order_number:
            return topic.issue_of_order.format(order=self.order_number)
        return topic.issue

    def fix(self, generic: str = GENERIC_FIX) -> str:
        """What the assistant can do about it right away, e.g. ``look into the payment``."""
        topic = _TOPICS.get(self.topic or "")
        return topic.fix if topic is not None else generic

    def payload(self) -> str:
        """The payload that starts that flow again; the help menu for an unknown issue."""
        topic = _TOPICS.get(self.topic or "")
        return topic.payload if topic is not None else HELP_PAYLOAD


@dataclass(frozen=True)
class Apology:
    """An apology ready to send.

    Attributes:
        text: The message.
        buttons: The next steps to offer; none when a person takes over anyway.
    """

    text: str
    buttons: Tuple[Dict[str, str], ...] = ()


_VARIANTS: Mapping[Situation, Sequence[str]] = {
    Situation.COMPLAINT: (
        "I'm really sorry{name}. {Issue} should have gone smoothly, and I understand why "
        "you're upset. I can {fix} right now, or bring in a person from our team. "
        "Which would you prefer?",
        "Sorry{name}, you deserved better from us{with_issue}. Let's put it right: I can {fix} "
        "here and now, or pass you to a colleague on the support team.",
        "I apologise{name}: you shouldn't have to chase us about {issue}. Shall I {fix} "
        "straight away, or would you rather talk to a person?",
        "Thank you for telling me{name}, and I'm sorry about {issue}. I'd like to sort it out "
        "for you: I can {fix} now, or hand you over to someone from our team.",
        "That sounds really frustrating{name}, and I'm sorry {issue} has let you down. "
        "I can {fix} at once, or a person from our team can take it from here.",
    ),
    Situation.NEGATIVE: (
        "I'm sorry{name}, I can tell {issue} has been frustrating. I can {fix} right now, "
        "or get a person from our team to help.",
        "I hear you{name}, and I'm sorry {issue} hasn't gone the way it should. "
        "Shall I {fix} now, or would you prefer to talk to a person?",
        "Sorry for the trouble{with_issue}{name}. Let's get it sorted: I can {fix} "
        "straight away, or hand you to our support team.",
        "That's not good enough{name}, and I apologise for {issue}. I can {fix} here, "
        "or a person from our team can step in.",
    ),
    Situation.FALLBACK: (
        "I'm sorry{name}, I still haven't understood what you need{about}, and that's on me, "
        "not you. I can {fix} if you tap below, or bring in a person from our team.",
        "Apologies{name}, I'm struggling to follow you{about}. Could you put it in other "
        "words? Or I can {fix} right away, or pass you to a person.",
        "Sorry{name}, I've misunderstood you twice now{about}. Rather than keep you going "
        "round in circles, I can {fix}, or hand you to someone from our team.",
        "I'm sorry{name}, that's two messages in a row I couldn't make sense of{about}. "
        "Try rephrasing, or pick below: I can {fix}, or a person can take over.",
    ),
    Situation.FAILURE: (
        "I'm sorry{name}, something went wrong on our side while I was working on {issue}. "
        "You can try again in a moment, or I can pass you to a person who can help.",
        "Apologies{name}: I hit a problem on our end{with_issue}, and it's not your doing. "
        "Shall I try again, or bring in someone from our team?",
        "Sorry{name}, I couldn't finish looking into {issue} because of a fault on our side. "
        "Try again shortly, or talk to a person and they'll sort it out.",
        "I'm really sorry{name}, our system let me down while I was handling {issue}. "
        "I can have another go, or hand you to the support team.",
    ),
    Situation.ESCALATING: (
        "I'm so sorry{name}. {Issue} has clearly let you down, so I'm bringing in a person "
        "from our team to sort it out with you.",
        "I'm really sorry{name}, and I don't want to keep you going back and forth with a bot "
        "over {issue}. I'm passing you to a member of our support team now.",
        "You're right to be upset{name}, and I'm sorry about {issue}. A person from our team "
        "is the best way to fix it, so I'm handing you over.",
        "I apologise{name}: you deserved better from us{with_issue}. I'm getting a colleague from "
        "our support team to take it on personally.",
    ),
}


def variants(situation: Situation) -> Sequence[str]:
    """The wordings of a situation, as templates."""
    return _VARIANTS[situation]


def choose(seed: str, count: int) -> int:
    """Picks an index below ``count`` from ``seed``: the same seed, the same pick."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _buttons(situation: Situation, issue: Issue) -> Tuple[Dict[str, str], ...]:
    if situation is Situation.ESCALATING:
        return ()
    if situation is Situation.FAILURE:
        title = TRY_AGAIN
    elif situation is Situation.FALLBACK and not issue.known:
        title = SEE_WHAT_I_CAN_DO
    else:
        title = SORT_IT_OUT
    return ({"title": title, "payload": issue.payload()}, dict(TALK_TO_A_PERSON))


def compose(situation: Situation, issue: Issue, first_name: Optional[str], seed: str) -> Apology:
    """Writes the apology for a situation.

    Args:
        situation: Why the assistant apologises.
        issue: What it is about.
        first_name: The verified customer's first name; ``None`` for anyone else.
        seed: Picks the wording, e.g. ``"<conversation id>:<turn>"``.

    Returns:
        The apology, with "Sort it out now" (or "Try again") and "Talk to a
        person" buttons, except when a person is taking over anyway.
    """
    options = _VARIANTS[situation]
    template = options[choose(f"{situation.value}:{seed}", len(options))]
    phrase = issue.phrase()
    generic = GENERIC_FALLBACK_FIX if situation is Situation.FALLBACK else GENERIC_FIX
    name = f", {first_name.strip()}" if first_name and first_name.strip() else ""
    text = template.format(
        name=name,
        issue=phrase,
        Issue=_capitalised(phrase),
        fix=issue.fix(generic),
        about=f" about {phrase}" if issue.known else "",
        with_issue=f" with {phrase}" if issue.known else "",
    )
    return Apology(text=text, buttons=_buttons(situation, issue))


def _intent(event: Mapping[str, Any]) -> Optional[str]:
    intent = (event.get("parse_data") or {}).get("intent") or {}
    name = intent.get("name") if isinstance(intent, Mapping) else None
    return str(name) if name else None


def _entities(event: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    entities = (event.get("parse_data") or {}).get("entities") or []
    return [entity for entity in entities if isinstance(entity, Mapping)]


def _entity(event: Mapping[str, Any], name: str) -> Optional[str]:
    for entity in _entities(event):
        if entity.get("entity") == name and entity.get("value") not in (None, ""):
            return str(entity["value"])
    return None


def _product_name(title: str) -> str:
    name = _QUANTITY_PREFIX.sub("", title.strip())
    if len(name) > 1 and name[1].islower():
        name = name[0].lower() + name[1:]
    return name


def _chosen_title(events: Sequence[Mapping[str, Any]], index: int, entity: str) -> Optional[str]:
    """The title of the button whose payload the user event at ``index`` sent."""
    value = _entity(events[index], entity)
    if value is None:
        return None
    for event in reversed(events[:index]):
        if event.get("event") != "bot":
            continue
        for button in (event.get("data") or {}).get("buttons") or []:
            payload = str(button.get("payload") or "")
            if "{" not in payload:
                continue
            try:
                sent = json.loads(payload[payload.index("{") :])
            except ValueError:
                continue
            if isinstance(sent, dict) and str(sent.get(entity)) == value:
                return str(button.get("title") or "") or None
        return None
    return None


def issue_from_conversation(
    events: Iterable[Mapping[str, Any]],
    slots: Mapping[str, Any],
    active_loop: Optional[str] = None,
) -> Issue:
    """Works out what the customer's trouble is about from the conversation.

    The active form says which flow it is; otherwise the latest message that
    started one of the assistant's flows. The order number, the product (the
    title of the item button the customer chose) and the kind of problem come
    from the slots, or from what the customer sent since that flow started.

    Args:
        events: The conversation's events.
        slots: The current slot values.
        active_loop: The name of the active form, if any.

    Returns:
        The issue; an unknown one when the conversation shows none.
    """
    history = list(events)
    users = [index for index, event in enumerate(history) if event.get("event") == "user"]
    topic = FORM_TOPICS.get(active_loop or "")
    start = 0
    for index in reversed(users):
        intent = _intent(history[index])
        if intent in _TOPICS:
            start = index
            topic = topic or intent
            break
    if topic is None:
        return Issue()
    since = [index for index in users if index >= start]
    order_number = slots.get("order_number") or next(
        (
            value
            for index in reversed(since)
            if (value := _entity(history[index], "ORDER_NUMBER")) is not None
        ),
        None,
    )
    product = None
    problem = slots.get("problem_kind")
    if topic == "damaged_or_wrong_item":
        for index in reversed(since):
            title = _chosen_title(history, index, "damaged_item")
            if title:
                product = _product_name(title)
                break
        problem = problem or next(
            (
                value
                for index in reversed(since)
                if (value := _entity(history[index], "problem_kind")) is not None
            ),
            None,
        )
    return Issue(
        topic=topic,
        order_number=str(order_number) if order_number else None,
        product=product,
        problem=str(problem) if problem in _PROBLEM_ADJECTIVES else None,
    )


def turn_seed(conversation_id: str, events: Iterable[Mapping[str, Any]]) -> str:
    """A seed for :func:`compose`: the conversation and how many messages the customer sent.

    Args:
        conversation_id: The conversation (Rasa sender id).
        events: The conversation's events.
    """
    turn = sum(1 for event in events if event.get("event") == "user")
    return f"{conversation_id}:{turn}"
