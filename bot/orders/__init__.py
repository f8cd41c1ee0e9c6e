"""Business rules for customers' orders, used by the order actions."""
