"""Evaluation of the trained NLU model on labelled utterances it has never seen.

``dataset`` reads and validates the CSV files, ``parser`` runs a model over their
texts, ``metrics`` scores the predictions, ``report`` prints and writes the results
and ``runner`` ties the steps together for the ``python -m bot eval nlu`` command.
"""
