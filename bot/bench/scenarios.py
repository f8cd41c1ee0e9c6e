"""The benchmark's conversations: scripted customer turns and what each reply must say.

A turn's message and expectations may name the fields of the customer the
conversation is about (``{order_number}``, ``{email}``, ``{first_name}``) and
the one-time code e-mailed during it (``{code}``); they are filled in when
the turn is sent.

Every conversation of one target has the same number of customer turns
(:data:`TURNS_PER_CONVERSATION`), so that turns per second compare across
targets: the starter bot of ``rasa init`` has no orders or FAQs, so its
conversations are its own greet / mood / bot-challenge / goodbye paths.

How a turn ends: over REST the reply is one HTTP response. Over socket.io
each bot message is a separate ``bot_uttered`` event (Rasa also splits a text
at blank lines), so the turn ends when the message that contains the
expectation's ``last`` marker arrives: every turn's final message is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

TURNS_PER_CONVERSATION = 4


@dataclass(frozen=True)
class Reply:
    """One bot message as the customer sees it.

    Attributes:
        text: The message text, empty for an image or a custom payload.
        buttons: The payloads of the buttons offered with it.
    """

    text: str
    buttons: Tuple[str, ...] = ()

    @classmethod
    def from_payload(cls, payload: object) -> Reply:
        """Reads a REST reply or a socket.io ``bot_uttered`` body.

        Args:
            payload: A JSON object; REST sends ``buttons``, socket.io ``quick_replies``.

        Returns:
            The reply; anything that is not an object becomes an empty reply.
        """
        if not isinstance(payload, dict):
            return cls("")
        text = payload.get("text")
        offered = payload.get("buttons") or payload.get("quick_replies") or []
        buttons = tuple(
            str(button.get("payload", ""))
            for button in offered
            if isinstance(button, dict)
        )
        return cls(text if isinstance(text, str) else "", buttons)


@dataclass(frozen=True)
class Expect:
    """What the replies to one customer message must contain.

    Attributes:
        last: Case-insensitive text of the turn's final message; it ends the
            turn on socket.io.
        contains: Case-insensitive texts that must appear somewhere in the replies.
        absent: Texts that must not appear anywhere in the replies.
        buttons: Button payloads that must be offered.
        last_button: A button payload that the final message offers; ends the
            turn instead of ``last`` when the final text varies.
    """

    last: str = ""
    contains: Tuple[str, ...] = ()
    absent: Tuple[str, ...] = ()
    buttons: Tuple[str, ...] = ()
    last_button: str = ""

    def filled(self, fields: Mapping[str, str]) -> Expect:
        """Returns the expectation with the customer's fields filled in."""
        return Expect(
            last=fill(self.last, fields),
            contains=tuple(fill(text, fields) for text in self.contains),
            absent=tuple(fill(text, fields) for text in self.absent),
            buttons=tuple(fill(payload, fields) for payload in self.buttons),
            last_button=fill(self.last_button, fields),
        )

    @property
    def final(self) -> str:
        """How the final message is recognised, for error messages."""
        return self.last or f"button {self.last_button}"

    def ends_turn(self, reply: Reply) -> bool:
        """Tells whether ``reply`` is the final message of the turn."""
        if self.last_button:
            return self.last_button in reply.buttons
        return bool(self.last) and self.last.lower() in reply.text.lower()

    def problem(self, replies: Sequence[Reply]) -> Optional[str]:
        """Checks the replies of one turn.

        Args:
            replies: Every bot message of the turn, in order.

        Returns:
            What is wrong, or ``None`` when the replies are as expected.
        """
        texts = [reply.text for reply in replies]
        if not replies or not any(text.strip() for text in texts):
            return "no reply"
        if not self.ends_turn(replies[-1]):
            return f"last reply {_short(texts[-1])!r} lacks {self.final!r}"
        joined = " ".join(texts).lower()
        for text in self.contains:
            if text.lower() not in joined:
                return f"replies {_short(joined)!r} lack {text!r}"
        for text in self.absent:
            if text.lower() in joined:
                return f"replies {_short(joined)!r} contain {text!r}"
        offered = {payload for reply in replies for payload in reply.buttons}
        missing = [payload for payload in self.buttons if payload not in offered]
        if missing:
            return f"buttons {sorted(offered)} lack {missing}"
        return None


@dataclass(frozen=True)
class Turn:
    """One customer message and what the assistant must answer.

    Attributes:
        say: The message; may contain ``{order_number}``, ``{email}``, ``{code}`` …
        expect: The checks on the replies.
    """

    say: str
    expect: Expect

    @property
    def needs_code(self) -> bool:
        """Whether the message is the one-time code e-mailed earlier in the conversation."""
        return "{code}" in self.say


@dataclass(frozen=True)
class Scenario:
    """A whole conversation of one customer.

    Attributes:
        name: Short name in the results.
        turns: The customer's messages in order.
        needs_customer: Whether it is about a customer of the demo shop.
    """

    name: str
    turns: Tuple[Turn, ...]
    needs_customer: bool = False


@dataclass
class DemoCustomer:
    """A customer of the demo shop with one of their orders.

    Attributes:
        order_number: E.g. ``ORD-100001``.
        email: The address the order belongs to.
        first_name: How the assistant greets the customer once verified.
        last_outbox_id: Id of the newest e-mail already used, so that a
            conversation never takes an older conversation's code.
    """

    order_number: str
    email: str
    first_name: str
    last_outbox_id: int = 0

    def fields(self) -> Dict[str, str]:
        """The template fields of this customer."""
        return {
            "order_number": self.order_number,
            "email": self.email,
            "first_name": self.first_name,
        }


def fill(template: str, fields: Mapping[str, str]) -> str:
    """Replaces ``{name}`` with ``fields[name]`` for every field given; other braces stay.

    Args:
        template: A message or an expected text.
        fields: The values.

    Returns:
        The filled text.
    """
    for name, value in fields.items():
        template = template.replace("{" + name + "}", value)
    return template


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


FEEDBACK_QUESTION = "Did that answer your question?"
CSAT_FIVE = '/rate_conversation{"csat_score":"5"}'

OUR_SCENARIOS: Tuple[Scenario, ...] = (
    Scenario(
        "faq",
        (
            # Every greeting variant offers help with an order.
            Turn("hello", Expect(last="order")),
            Turn(
                "how long do I have to send something back?",
                Expect(last=FEEDBACK_QUESTION, contains=("30 days",), buttons=("/affirm", "/deny")),
            ),
            Turn("/affirm", Expect(last="glad")),
            Turn("bye", Expect(last="how would you rate", buttons=(CSAT_FIVE,))),
        ),
    ),
    Scenario(
        "order-status",
        (
            Turn("where is my order?", Expect(last="order number")),
            Turn("{order_number}", Expect(last="email address")),
            Turn(
                "{email}",
                Expect(last="6-digit code", contains=("sent",), absent=("{order_number}",)),
            ),
            Turn("{code}", Expect(last="{order_number}", contains=("{first_name}",))),
        ),
        needs_customer=True,
    ),
    Scenario(
        "complaint-handoff",
        (
            Turn("hi", Expect(last="order")),
            Turn(
                "what can you do?",
                Expect(last="What would you like to do?", buttons=("/order_status",)),
            ),
            # The apology's wording varies; it always offers a person with a button.
            Turn(
                "your service is absolutely terrible",
                Expect(last_button="/request_human", buttons=("/request_human",)),
            ),
            Turn("/request_human", Expect(last="person from our support team")),
        ),
    ),
)

STARTER_SCENARIOS: Tuple[Scenario, ...] = (
    Scenario(
        "starter-happy",
        (
            Turn("hi", Expect(last="How are you?")),
            Turn("I am great", Expect(last="carry on")),
            Turn("are you a bot?", Expect(last="I am a bot")),
            Turn("bye", Expect(last="Bye")),
        ),
    ),
    Scenario(
        "starter-sad",
        (
            Turn("hello", Expect(last="How are you?")),
            Turn("I am sad", Expect(last="Did that help you?", contains=("cheer you up",))),
            Turn("yes", Expect(last="carry on")),
            Turn("goodbye", Expect(last="Bye")),
        ),
    ),
    Scenario(
        "starter-unhappy",
        (
            Turn("hey", Expect(last="How are you?")),
            Turn("very bad", Expect(last="Did that help you?", contains=("cheer you up",))),
            Turn("no", Expect(last="Bye")),
            Turn("are you a bot?", Expect(last="I am a bot")),
        ),
    ),
)


def check_scenarios(scenarios: Sequence[Scenario]) -> List[str]:
    """Lists scenarios whose length differs from :data:`TURNS_PER_CONVERSATION`."""
    return [
        scenario.name
        for scenario in scenarios
        if len(scenario.turns) != TURNS_PER_CONVERSATION
    ]
