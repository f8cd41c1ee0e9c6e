"""Rasa's event broker, consumed: sentiment log, conversation moods, follow-ups, handoff relay."""
