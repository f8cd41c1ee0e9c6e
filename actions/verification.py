"""Proving who the customer is before an order flow says or changes anything.

A customer is verified either by the signed token the shop's website sends
with each message, or by an order number and email followed by a one-time
code. On a messaging app (Telegram, WhatsApp, Messenger, Slack) the code also
links the app's user to the customer, so later conversations from that user
start verified (:mod:`bot.identity.links`). Every order form validates its first slots with
:class:`VerifiedOrderFormValidation`, and the action that ends the form
derives from :class:`VerifiedFlowAction`.
"""

from __future__ import annotations

import abc
import logging
from datetime import date
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Type, TypeVar

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import AskAction, NamedAction, intent_payload, latest_user_metadata
from bot.identity import links
from bot.identity import service as identity
from bot.identity.codes import CODE_LENGTH, CodeCheckStatus, normalize_code
from bot.identity.messages import remembered
from bot.orders import messages
from bot.orders.identifiers import extract_email, extract_order_number
from bot.settings import get_settings

logger = logging.getLogger(__name__)

# Values of the ``verification_code`` slot once the code step is over. A
# customer's own text never reaches the slot without validation, so these
# cannot be typed in.
CODE_VERIFIED = "verified"
CODE_LOCKED = "locked"
# The database failed during the code step; the customer was already told so,
# and nothing about wrong codes or a lockout may follow.
CODE_UNAVAILABLE = "unavailable"
VERIFICATION_SLOTS = ["email", "verification_code"]
VERIFIED_FORM_SLOTS = ("order_number", *VERIFICATION_SLOTS)

Check = TypeVar("Check")


def verified_customer(tracker: Tracker) -> Optional[int]:
    """Returns the customer verified in this conversation: by token, by code, or by link.

    Args:
        tracker: The conversation.

    Returns:
        The customer id, or ``None`` while the customer is anonymous.
    """
    from_token = identity.customer_from_metadata(latest_user_metadata(tracker), get_settings())
    if from_token is not None:
        return from_token
    stored = tracker.get_slot("customer_id")
    try:
        if stored is not None:
            return int(stored)
    except (TypeError, ValueError):
        pass
    return _linked_customer(tracker)


def _linked_customer(tracker: Tracker) -> Optional[int]:
    """The customer a messaging-app user verified as in an earlier conversation."""
    try:
        return links.linked_customer(
            get_settings(), tracker.get_latest_input_channel(), tracker.sender_id
        )
    except SQLAlchemyError:
        logger.exception("could not look up the channel link of %s", tracker.sender_id)
        return None


def _remember_channel_user(
    dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int
) -> None:
    """Links a messaging-app user to the customer just verified, and says so once."""
    try:
        app = links.remember_channel_user(
            get_settings(), tracker.get_latest_input_channel(), tracker.sender_id, customer_id
        )
    except SQLAlchemyError:
        logger.exception("could not link %s to customer %s", tracker.sender_id, customer_id)
        return
    if app is not None:
        dispatcher.utter_message(text=remembered(app))


def check_order(
    tracker: Tracker,
    customer_id: Optional[int],
    look_up: Callable[[str, str, int], Check],
    what: str,
) -> Optional[Check]:
    """Looks up the form's order for the verified customer, in a transaction of its own.

    Args:
        tracker: The conversation, with the ``order_number`` slot.
        customer_id: The verified customer, or ``None`` while anonymous.
        look_up: Called with the database URL, the order number and the
            customer id, e.g. a ``..._for_customer`` function of ``bot.orders``.
        what: What is looked up, for the log, e.g. ``"return check"``.

    Returns:
        What ``look_up`` returned; ``None`` for an anonymous customer, a form
        without an order number, or a database that is unavailable (logged).
    """
    number = tracker.get_slot("order_number")
    if customer_id is None or not number:
        return None
    try:
        return look_up(get_settings().database_url, number, customer_id)
    except SQLAlchemyError:
        logger.exception("%s failed for %s", what, tracker.sender_id)
        return None


def _request_code(
    dispatcher: CollectingDispatcher, tracker: Tracker, number: str, email: str, sent: str
) -> Optional[str]:
    """Sends a code for the order and email, saying ``sent`` when the request was taken.

    Returns:
        :data:`CODE_LOCKED` when the conversation is locked out,
        :data:`CODE_UNAVAILABLE` when the database is unavailable, otherwise ``None``.
    """
    try:
        locked_until = identity.send_code(get_settings(), tracker.sender_id, number, email)
    except SQLAlchemyError:
        logger.exception("could not start verification for %s", tracker.sender_id)
        dispatcher.utter_message(text=messages.LOOKUP_UNAVAILABLE)
        return CODE_UNAVAILABLE
    if locked_until is not None:
        return CODE_LOCKED
    dispatcher.utter_message(text=sent)
    return None


class VerifiedOrderFormValidation(FormValidationAction, abc.ABC):
    """Validates the order number, and the email and code of an anonymous customer.

    Subclasses name their form and say which slots follow once the customer
    is verified. Domain requirements: the form lists ``order_number``,
    ``email`` and ``verification_code`` first.

    A flow about the customer rather than one order (loyalty points, a
    privacy request) sets ``needs_order = False``: a verified customer is
    then not asked for an order, while anyone else still proves who they are
    with an order number, its email and the code.
    """

    needs_order: bool = True

    @abc.abstractmethod
    def slots_after_verification(self, tracker: Tracker, customer_id: int) -> List[str]:
        """Slots the form needs once the customer is known.

        Args:
            tracker: The conversation, with this turn's slots applied.
            customer_id: The verified customer.
        """

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        """A verified customer only names the order; anyone else proves it is theirs."""
        customer_id = verified_customer(tracker)
        if customer_id is None:
            return ["order_number", *VERIFICATION_SLOTS]
        if not self.needs_order:
            return self.slots_after_verification(tracker, customer_id)
        if not tracker.get_slot("order_number"):
            return ["order_number"]
        return ["order_number", *self.slots_after_verification(tracker, customer_id)]

    def validate_order_number(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Accepts ``ORD-104233`` and the ways people type it."""
        number = extract_order_number(str(slot_value or ""))
        if number is None:
            dispatcher.utter_message(text=messages.INVALID_ORDER_NUMBER)
        return {"order_number": number}

    def validate_email(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Accepts an email address and sends a code if it matches the order."""
        email = extract_email(str(slot_value or ""))
        number = tracker.get_slot("order_number")
        if email is None:
            dispatcher.utter_message(text=messages.INVALID_EMAIL)
            return {"email": None}
        if not number:
            return {"email": email}
        locked = _request_code(dispatcher, tracker, number, email, messages.CODE_SENT)
        return {"email": email, "verification_code": locked} if locked else {"email": email}

    def validate_verification_code(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Checks the one-time code; three wrong codes lock verification."""
        if (
            slot_value in (CODE_VERIFIED, CODE_LOCKED, CODE_UNAVAILABLE)
            and tracker.get_slot("requested_slot") != "verification_code"
        ):
            return {"verification_code": slot_value}
        typed = normalize_code(str(slot_value or ""))
        if not (typed.isdigit() and len(typed) == CODE_LENGTH):
            dispatcher.utter_message(text=messages.INVALID_CODE)
            return {"verification_code": None}
        settings = get_settings()
        try:
            result = identity.confirm_code(settings, tracker.sender_id, typed)
        except SQLAlchemyError:
            logger.exception("could not check the code for %s", tracker.sender_id)
            dispatcher.utter_message(text=messages.LOOKUP_UNAVAILABLE)
            return {"verification_code": CODE_UNAVAILABLE}
        if result.status is CodeCheckStatus.VERIFIED and result.customer_id is not None:
            first_name = identity.customer_first_name(settings, result.customer_id) or ""
            dispatcher.utter_message(text=messages.verified(first_name))
            _remember_channel_user(dispatcher, tracker, result.customer_id)
            return {"verification_code": CODE_VERIFIED, "customer_id": str(result.customer_id)}
        if result.status is CodeCheckStatus.WRONG:
            dispatcher.utter_message(text=messages.wrong_code(result.attempts_left or 0))
            return {"verification_code": None}
        if result.status is CodeCheckStatus.LOCKED:
            return {"verification_code": CODE_LOCKED}
        # Expired, or no code waiting: send a fresh one to the same details.
        locked = _request_code(
            dispatcher,
            tracker,
            str(tracker.get_slot("order_number") or ""),
            str(tracker.get_slot("email") or ""),
            messages.CODE_EXPIRED,
        )
        return {"verification_code": locked}


class VerifiedFlowAction(NamedAction, abc.ABC):
    """The action that ends a verified flow: forgets the form, then acts for its owner.

    :meth:`run` is a template method. It forgets the form's slots, keeps the
    verified ``customer_id``, and answers without acting when verification
    was locked, when the customer is not verified or (with ``needs_order``)
    named no order, and when the database is unavailable. Otherwise it calls
    :meth:`act`.

    Subclasses set ``action_name``, ``form_slots`` (the slots to forget, in
    the order their events are sent) and implement :meth:`act`; a flow about
    the customer rather than an order sets ``needs_order = False``, as its
    :class:`VerifiedOrderFormValidation` does.

    Domain requirements: the action ``action_name``; slots ``order_number``,
    ``email``, ``verification_code``, ``customer_id`` (text) and every slot
    in ``form_slots``.
    """

    form_slots: Sequence[str] = VERIFIED_FORM_SLOTS
    needs_order: bool = True
    # Said to a customer who is not verified (or, with ``needs_order``, named no order).
    not_verified_message: str = messages.ORDER_NOT_FOUND
    # Errors of :meth:`act` answered with ``messages.LOOKUP_UNAVAILABLE``.
    unavailable_errors: Tuple[Type[Exception], ...] = (SQLAlchemyError,)

    @abc.abstractmethod
    def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int, number: str
    ) -> List[EventType]:
        """Answers the verified customer and returns the events to add.

        Args:
            dispatcher: Sends the reply.
            tracker: The conversation, with the completed form's slots.
            customer_id: The verified customer.
            number: The order number in the form; empty without ``needs_order``.

        Returns:
            Events sent after those that forget the form.
        """

    def answered_first(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
        """Answers a request that needs no verification, before anything is checked.

        Returns:
            Whether it answered, so that nothing else is done; never by default.
        """
        return False

    def refused(self) -> List[EventType]:
        """Events added when the flow stops without acting; none by default."""
        return []

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Acts on the completed form, forgets its slots, and hands off when it must."""
        from actions import handoff  # imported here: actions.handoff imports this module

        events = self._finish(dispatcher, tracker)
        return events + handoff.escalation_followup(tracker, new_events=events)

    def _finish(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        events: List[EventType] = [SlotSet(slot, None) for slot in self.form_slots]
        customer_id = verified_customer(tracker)
        if customer_id is not None:
            events.append(SlotSet("customer_id", str(customer_id)))
        if self.answered_first(dispatcher, tracker):
            return events
        number = tracker.get_slot("order_number") or ""
        if tracker.get_slot("verification_code") == CODE_UNAVAILABLE:
            return events + self.refused()
        if tracker.get_slot("verification_code") == CODE_LOCKED:
            dispatcher.utter_message(text=messages.VERIFICATION_LOCKED)
            return events + self.refused()
        if customer_id is None or (self.needs_order and not number):
            dispatcher.utter_message(text=self.not_verified_message)
            return events + self.refused()
        try:
            return events + self.act(dispatcher, tracker, customer_id, number)
        except self.unavailable_errors:
            flow_logger = logging.getLogger(type(self).__module__)
            flow_logger.exception("%s failed for conversation %s", self.name(), tracker.sender_id)
            dispatcher.utter_message(text=messages.LOOKUP_UNAVAILABLE)
            return events + self.refused()


class OrderNumberQuestion(NamedAction, abc.ABC):
    """Asks which order; a verified customer picks one of their recent orders.

    Subclasses set ``action_name`` and ``question``. An anonymous customer
    gets the question alone: nothing about any order is shown before the
    customer is verified.
    """

    @property
    @abc.abstractmethod
    def question(self) -> str:
        """The question for a customer who is not verified yet."""

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the question, with a button per recent order when the customer is known."""
        customer_id = verified_customer(tracker)
        if customer_id is None:
            dispatcher.utter_message(text=self.question)
            return []
        try:
            choices = identity.recent_order_choices(get_settings(), customer_id, date.today())
        except SQLAlchemyError:
            logger.exception("could not list the orders of customer %s", customer_id)
            choices = []
        if not choices:
            dispatcher.utter_message(text=self.question)
            return []
        dispatcher.utter_message(
            text=messages.WHICH_ORDER,
            buttons=[
                {
                    "title": choice.title,
                    "payload": intent_payload("inform", ORDER_NUMBER=choice.number),
                }
                for choice in choices
            ],
        )
        return []


class ActionAskOrderNumber(OrderNumberQuestion):
    """Asks for the order number in any order form without a question of its own."""

    action_name = "action_ask_order_number"
    question = messages.ASK_ORDER_NUMBER


class ActionAskEmail(AskAction):
    """Asks for the email on the order while the order status form runs."""

    action_name = "action_ask_email"
    question = messages.ASK_EMAIL


class ActionAskVerificationCode(AskAction):
    """Asks for the one-time code sent to the email on the order."""

    action_name = "action_ask_verification_code"
    question = messages.ASK_CODE
