"""The handoff queue's use cases: an agent claims a conversation, replies, and hands it back."""
