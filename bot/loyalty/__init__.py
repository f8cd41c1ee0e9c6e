"""The loyalty programme for a verified customer: balance, tier, expiring points, redeeming.

* :mod:`bot.loyalty.balance` works out a customer's standing from their
  history and the programme's rules in ``knowledge/policies.yml``.
* :mod:`bot.loyalty.messages` says it.

Importing this package imports none of its modules.
"""
