"""What the order actions say, kept beside the rules that decide when.

Every failure of the order look-up uses :data:`ORDER_NOT_FOUND`, whatever the
cause, so that a reply never tells whether an order number exists.
"""

ASK_ORDER_NUMBER = (
    "Sure, I can look that up. What's the order number? You'll find it in your "
    "confirmation email; it looks like ORD-123456."
)
ASK_EMAIL = (
    "Thanks. And which email address did you use for that order? I need it to make sure "
    "the order is yours."
)
INVALID_ORDER_NUMBER = (
    "Hmm, that doesn't look like one of our order numbers. They look like ORD-123456: "
    'ORD followed by six digits. You can also say "stop" to do something else.'
)
INVALID_EMAIL = (
    "That doesn't look like an email address. Could you check it and send it again, "
    "for example jane@example.com?"
)
ORDER_NOT_FOUND = (
    "I couldn't find an order with that order number and email address together. Please "
    "check both: the order number is in your confirmation email, and the email must be the "
    "one you ordered with. Just ask me again whenever you're ready."
)
LOOKUP_UNAVAILABLE = (
    "I'm sorry, I can't look up orders right now because of a problem on our side. Please "
    "try again in a few minutes, or ask for a person and our team will help."
)
