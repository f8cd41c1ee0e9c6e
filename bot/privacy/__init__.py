"""Privacy requests of verified customers: a copy of their data, or its erasure."""
