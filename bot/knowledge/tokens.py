"""Turning customer questions and articles into search terms.

Text is lower-cased and split on everything that is not a letter or a digit;
common English words that say nothing about the topic ("how", "do", "I",
"my", …) are dropped. What is left is normalised with a few suffix rules so
that a word's usual forms meet: plurals (``vouchers`` → ``voucher``,
``deliveries``), ``-ing`` and ``-ed`` (``shipping``, ``shipped`` → ``ship``),
and a final ``e``, ``ie`` or ``y`` (``expire``, ``expiry`` → ``expir``). The
terms are not words any more, but a question and an article that use the
same word in different forms get the same term, which is all search needs.
"""

from __future__ import annotations

import re
from typing import List

STOP_WORDS = frozenset(
    """
    a about am an and any are aren as at be been being but by can could couldn d did didn
    do does doesn doing don done for from had has hasn have haven having hello hey hi how
    i if im in into is isn it its just ll m me might my myself no not now of on or our
    ours please re s should shouldn so some t than thank thanks that the their them then
    there these they this those to too ve was wasn we were what when where which who
    why will with won would wouldn you your yours
    """.split()
)

_WORD = re.compile(r"[^\W_]+")
_MIN_STEM = 3
_NOT_PLURAL = ("ss", "us", "is")
_DOUBLED_TO_KEEP = frozenset("lsz")


def _undouble(stem: str) -> str:
    """``shipp`` → ``ship``, but ``bill`` and ``add`` stay."""
    last = stem[-1]
    if (
        len(stem) > _MIN_STEM
        and stem[-2] == last
        and last not in _DOUBLED_TO_KEEP
        and last not in "aeiou"
    ):
        return stem[:-1]
    return stem


def _strip_plural(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("s") and not word.endswith(_NOT_PLURAL):
        return word[:-1]
    return word


def _strip_verb_ending(word: str) -> str:
    for suffix in ("ing", "ed"):
        if not word.endswith(suffix) or word.endswith("eed"):
            continue
        stem = word[: -len(suffix)]
        if len(stem) >= _MIN_STEM and any(vowel in stem for vowel in "aeiouy"):
            return _undouble(stem)
    return word


def _strip_final_vowel(word: str) -> str:
    for suffix in ("ie", "e", "y"):
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


def normalize_term(word: str) -> str:
    """Returns the search term for one lower-case word.

    Words of three characters or fewer and words with digits are kept as
    they are.

    Args:
        word: A lower-case word without punctuation.
    """
    if len(word) <= _MIN_STEM or not word.isalpha():
        return word
    return _strip_final_vowel(_strip_verb_ending(_strip_plural(word)))


def tokenize(text: str) -> List[str]:
    """Returns the search terms of a text, in order, stop words left out.

    Args:
        text: A question, title, tag or answer.
    """
    return [
        normalize_term(word) for word in _WORD.findall(text.casefold()) if word not in STOP_WORDS
    ]
