"""Rasa SDK custom actions, one module per feature.

The action server registers every ``Action`` subclass found in the modules of
this package. Actions stay thin: the rules live in ``bot/``.
"""
