"""Guidance for account questions: signing in, changing the email, closing, creating.

Nothing here reads or reveals account data: the answers are the same for
everyone, whether or not they are verified or have an account at all.
"""
