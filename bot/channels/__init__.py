"""Rasa input channels of the assistant.

Rasa loads them by dotted class path from ``credentials.yml``, for example
``bot.channels.socketio.SecureSocketIOInput``.
"""
