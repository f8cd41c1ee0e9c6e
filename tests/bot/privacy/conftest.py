"""Every store a conversation reaches, once per backend, emptied after each test."""

from tests.support.stores import module_stores, stores

__all__ = ["module_stores", "stores"]
