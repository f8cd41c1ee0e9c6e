"""Picking the account topic a customer asks about, and the answer for it.

The classifier is a pure function of the message: no database, no account
look-up. A message that names an email address, or asks whether one is
registered, gets a note that the assistant can't tell, whoever is asking.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Optional, Tuple

from bot.account import messages
from bot.knowledge.policies import Policies
from bot.orders.identifiers import extract_email
from bot.privacy.requests import policy_integer, privacy_policy


class AccountTopic(str, enum.Enum):
    """What an account question is about; the values are those of the ``account_topic`` entity."""

    PASSWORD = "password"
    EMAIL = "email"
    CLOSE = "close"
    CREATE = "create"
    SECURITY = "security"


# The topics offered as buttons when a question is unclear, with their titles.
TOPIC_CHOICES: Tuple[Tuple[AccountTopic, str], ...] = (
    (AccountTopic.PASSWORD, "Signing in or my password"),
    (AccountTopic.EMAIL, "Changing my email address"),
    (AccountTopic.CLOSE, "Closing my account"),
    (AccountTopic.CREATE, "Creating an account"),
)

_ARTICLES = r"(?:(?:my|the|this|that|our|your|an?|customer|online|shop|whole|entire|old)\s+)*"
_EMAIL = r"e-?mail"

_SECURITY = re.compile(
    r"\b(?:hack\w*|compromised|someone else (?:has )?(?:logged|signed|got) in\w*"
    r"|(?:don'?t|do not) recogni[sz]e (?:a |the |this )?(?:log ?in|sign[ -]?in))\b",
    re.IGNORECASE,
)
_CLOSE = re.compile(
    r"\b(?:close|closing|delete|deleting|deactivat\w*|remove|removing|terminat\w*|cancel\w*"
    rf"|shut down|get rid of)\s+{_ARTICLES}(?:account|acount|profile)\b"
    r"|\b(?:account|profile)\s+(?:deleted|closed|deletion|closure)\b",
    re.IGNORECASE,
)
_CHANGE_EMAIL = re.compile(
    r"\b(?:change|changing|update|updating|edit|editing|switch|replace)\s+"
    rf"(?:(?:my|the|an?|account|registered|login|log-in|sign-in|customer)\s+)*{_EMAIL}"
    rf"|\b(?:wrong|old|new|different|another)\s+{_EMAIL}"
    rf"|\b{_EMAIL}\b[^?!]{{0,60}}\b(?:change[sd]?|update[sd]?)\b",
    re.IGNORECASE,
)
_CREATE = re.compile(
    r"\b(?:sign(?:ing)?[ -]?up|register(?:ing)?|registration|new (?:account|acount|profile))\b"
    r"|\b(?:creat\w*|open(?:ing)?|set(?:ting)? up|mak(?:e|ing))\s+"
    rf"{_ARTICLES}(?:account|acount|profile)\b",
    re.IGNORECASE,
)
_PASSWORD = re.compile(
    r"\b(?:pass ?words?|pasword|log ?in|login|log into|sign(?:ing)? ?in|signin|locked"
    r"|lock(?:ed)? out|unlock|reset|access denied|credentials"
    r"|can'?t (?:get )?(?:in|into|access)|cant acess)\b",
    re.IGNORECASE,
)
# Most specific first: "I can't log in to change my email" is about the email.
_TOPIC_PATTERNS = (
    (AccountTopic.SECURITY, _SECURITY),
    (AccountTopic.CLOSE, _CLOSE),
    (AccountTopic.EMAIL, _CHANGE_EMAIL),
    (AccountTopic.CREATE, _CREATE),
    (AccountTopic.PASSWORD, _PASSWORD),
)
_ASKS_IF_REGISTERED = re.compile(
    r"\b(?:already (?:in use|registered|exists|taken|used)"
    r"|(?:is|are) (?:there|this|that|my) (?:an )?account"
    r"|do i (?:already )?have an account|have an account (?:with|under)"
    r"|does [^?!.]{0,60} have an account"
    r"|(?:no|an) account (?:was )?(?:found|exists)"
    r"|(?:doesn'?t|does not|already) exists?"
    rf"|is (?:this|that|my) {_EMAIL}(?: address)? registered)\b",
    re.IGNORECASE,
)


def topic_from_value(value: object) -> Optional[AccountTopic]:
    """Reads an ``account_topic`` entity or slot value, e.g. from a button.

    Args:
        value: The value, e.g. ``"password"``.

    Returns:
        The topic, or ``None`` for anything that is not one.
    """
    if not isinstance(value, str):
        return None
    try:
        return AccountTopic(value.strip().lower())
    except ValueError:
        return None


def classify_topic(text: str) -> Optional[AccountTopic]:
    """Tells which account topic a message is about.

    Args:
        text: What the customer wrote, e.g. ``"I forgot my password"``.

    Returns:
        The topic, or ``None`` when the message names none.
    """
    for topic, pattern in _TOPIC_PATTERNS:
        if pattern.search(text or ""):
            return topic
    return None


def asks_about_registration(text: str) -> bool:
    """Tells whether a message names an email address or asks if an account exists.

    Args:
        text: What the customer wrote.
    """
    return extract_email(text or "") is not None or bool(_ASKS_IF_REGISTERED.search(text or ""))


@dataclass(frozen=True)
class AccountPolicy:
    """The numbers the account answers quote.

    Attributes:
        reset_link_minutes: How long a password reset link stays valid.
        deletion_days: Days within which a closed account is deleted.
        records_years: Years orders and invoices are kept for tax law.
    """

    reset_link_minutes: int
    deletion_days: int
    records_years: int


def account_policy(policies: Policies) -> AccountPolicy:
    """Reads the account numbers from the ``account`` and ``privacy`` policy sections.

    Args:
        policies: The shop policies.

    Raises:
        KnowledgeError: When a value is missing or invalid.
    """
    privacy = privacy_policy(policies)
    return AccountPolicy(
        reset_link_minutes=policy_integer(policies, "account", "password_reset_link_minutes"),
        deletion_days=privacy.account_deletion_days,
        records_years=privacy.order_records_years,
    )


def guidance(topic: AccountTopic, policy: AccountPolicy) -> str:
    """Returns the answer for one topic.

    Args:
        topic: What the customer asked about.
        policy: The numbers to quote.
    """
    if topic is AccountTopic.PASSWORD:
        return messages.password_help(policy.reset_link_minutes)
    if topic is AccountTopic.EMAIL:
        return messages.CHANGE_EMAIL
    if topic is AccountTopic.CLOSE:
        return messages.close_account(policy.deletion_days, policy.records_years)
    if topic is AccountTopic.CREATE:
        return messages.CREATE_ACCOUNT
    return messages.account_security(policy.reset_link_minutes)


@dataclass(frozen=True)
class AccountAnswer:
    """What to reply to an account question.

    Attributes:
        texts: The messages to send, in order.
        topic: The topic answered, or ``None``.
        ask_topic: Whether to ask which topic it is, with a button per topic.
    """

    texts: Tuple[str, ...]
    topic: Optional[AccountTopic]
    ask_topic: bool


def answer_account_question(text: str, chosen: object, policy: AccountPolicy) -> AccountAnswer:
    """Decides the reply to an account question.

    Args:
        text: What the customer wrote.
        chosen: The ``account_topic`` the customer picked with a button, if any;
            it wins over what the text suggests.
        policy: The numbers to quote.

    Returns:
        The answer: the topic's guidance, the privacy note when the message
        names an address or asks whether one is registered, or the question.
    """
    topic = topic_from_value(chosen) or classify_topic(text)
    texts = []
    registration = asks_about_registration(text)
    if registration:
        texts.append(messages.ACCOUNT_PRIVATE)
    if topic is not None:
        texts.append(guidance(topic, policy))
    return AccountAnswer(tuple(texts), topic, ask_topic=topic is None and not registration)
