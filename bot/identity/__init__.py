"""Who the customer is: signed tokens from the shop's website, one-time codes, history.

* :mod:`bot.identity.tokens` checks the token the website passes in a
  message's metadata; it depends on nothing Rasa-specific, so channels can use
  it too.
* :mod:`bot.identity.codes` verifies a customer by order number, e-mail
  address and a one-time code sent to that address
  (:mod:`bot.identity.senders`).
* :mod:`bot.identity.history` sums up what the shop knows about a verified
  customer.

Importing this package imports none of its modules.
"""
