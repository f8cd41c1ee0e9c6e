"""What the assistant says about remembering a customer on a messaging app."""

from __future__ import annotations


def remembered(app: str) -> str:
    """Said once, right after a customer on a messaging app is linked by code.

    Args:
        app: The app's name as customers know it, e.g. ``Telegram``.
    """
    return f"I'll remember you on {app}, so next time you won't need a code."
