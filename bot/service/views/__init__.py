"""Request handlers of the bot service, one module per area."""
