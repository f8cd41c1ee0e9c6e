"""What the account guidance says, one answer per topic.

None of these texts depends on who is asking: the assistant never says
whether an email address has an account.
"""

from __future__ import annotations


def password_help(reset_link_minutes: int) -> str:
    """Helps with a forgotten password, a failing sign-in or a locked account.

    Args:
        reset_link_minutes: How long a password reset link stays valid.
    """
    return (
        "Sorry you're having trouble signing in. Choose *Forgot password* on the sign-in page "
        "and enter the email address of your account: we'll email you a reset link that's "
        f"valid for {reset_link_minutes} minutes. If it doesn't arrive within a few minutes, "
        "please check your spam or junk folder. If the site says your account is locked after "
        "too many attempts, wait a little before trying again, or reset your password with "
        "the link."
    )


CHANGE_EMAIL = (
    "You can change your email address yourself: sign in, open **Account settings** and enter "
    "the new address. We'll send a confirmation link to the new address, and the change takes "
    "effect once you've clicked it. If you can't sign in at all any more, for example because "
    'you no longer have the old address, our team can help: just say "talk to a person".'
)


def close_account(deletion_days: int, records_years: int) -> str:
    """Explains how to close an account and what happens to orders and points.

    Args:
        deletion_days: Days within which the account is deleted.
        records_years: Years orders and invoices are kept for tax law.
    """
    return (
        "You can close your account yourself under **Account settings > Close account**. We "
        f"then delete your account and personal details within {deletion_days} days. Your "
        f"orders and invoices are kept for {records_years} years, because tax law requires it, "
        "and any loyalty points you still have are lost, so you may want to use them first. "
        "Closing an account can't be undone."
    )


CREATE_ACCOUNT = (
    "Accounts are free, and all you need is an email address and a password: click "
    "**Sign in** at the top of any page and choose **Create account**. With an account you "
    "can follow your orders, save addresses, start returns in a few clicks and collect reward "
    "points on every order."
)


def account_security(reset_link_minutes: int) -> str:
    """Helps a customer who thinks someone else got into their account.

    Args:
        reset_link_minutes: How long a password reset link stays valid.
    """
    return (
        "I'm sorry, that's worrying. Please change your password straight away: choose "
        "*Forgot password* on the sign-in page and use the reset link we email you (it's valid "
        f"for {reset_link_minutes} minutes). Then let our team check your account and recent "
        'orders with you: just say "talk to a person".'
    )


ACCOUNT_PRIVATE = (
    "For everyone's privacy, I can't look up accounts or tell whether an email address is "
    "registered with us. If you're not sure, choose *Forgot password* on the sign-in page and "
    "enter that address: if it has an account, a reset link arrives within a few minutes."
)

WHICH_TOPIC = "I can help with your account. What do you need?"
