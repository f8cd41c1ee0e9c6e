"""Sentiment of a customer's message: a score in -1..1 and a label.

The base is VADER (``vaderSentiment``, lexicon shipped with the package), which
already handles negation ("not happy", "not helpful", "not bad"), boosters,
capitalised lexicon words and "!" emphasis. Support messages need more:

* **Support vocabulary is not sentiment.** "help", "please", "want", "cancel",
  "yes", "like" (as in "I'd like to return this"), "loyalty" (the
  programme)… carry valence in VADER's
  lexicon, so polite requests would read positive or negative; they are neutral
  here. Courtesy words ("thanks", "cheers") in a question are politeness, not
  praise: "Can you update my address? Thanks" stays neutral.
* **Support complaints use ordinary words.** ``DOMAIN_PHRASES`` weights the
  phrases that mean trouble in a support inbox ("still waiting", "never
  arrived", "third time", "again", "waste of money", "nobody"…) or praise ("well
  done", "worth the wait", "no complaints"); ``DOMAIN_WORDS`` re-weights single
  words ("late", "useless", "ridiculous", "sorted"…) inside VADER, so its
  negation handling applies to them. A phrase typed in capitals weighs 1.5 times.
* **Praise next to a complaint is irony or politeness.** When a complaint
  phrase matches, VADER's positive valence counts a quarter ("Great, another
  delay. Just great.").
* **Impatience.** Repeated "??"/"!!" or a shouted message (mostly ALL-CAPS
  words) makes a message that is not positive more negative ("WHERE IS MY
  PARCEL", "where is my order???").

The valences are summed on VADER's scale and squashed into -1..1 with VADER's
own ``x / sqrt(x² + 15)``. Labels: see ``label_for``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Pattern, Tuple

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

NEGATIVE = "negative"
NEUTRAL = "neutral"
POSITIVE = "positive"
LABELS = (NEGATIVE, NEUTRAL, POSITIVE)

# A single clearly valenced word (valence 1.0 on VADER's scale) squashes to
# exactly ±0.25, so one such word decides the label and anything weaker does not.
NEGATIVE_AT_OR_BELOW = -0.25
POSITIVE_AT_OR_ABOVE = 0.25

# VADER's standard thresholds for its compound score.
VADER_THRESHOLD = 0.05

# Words VADER scores that, in a support conversation, describe the request
# rather than the customer's mood.
SUPPORT_NEUTRAL_WORDS = (
    "help",
    "please",
    "want",
    "like",
    "cancel",
    "yes",
    "no",
    "ok",
    "okay",
    "sure",
    "free",
    "credit",
    "gift",
    "care",
    "share",
    "pay",
    "charged",
    "interested",
    "fine",
    "loyalty",
    "accept",
    "original",
)

# Courtesy words that are politeness, not praise, in a question.
_COURTESY = re.compile(r"\b(?:thanks|thank you|thank u|thx|ty|cheers)\b", re.IGNORECASE)

# Single words re-weighted on VADER's -4..4 scale (VADER's negation applies).
DOMAIN_WORDS: Dict[str, float] = {
    "late": -1.5,
    "delayed": -1.5,
    "cracked": -1.9,
    "soaked": -1.5,
    "faulty": -2.0,
    "rubbish": -2.5,
    "ridiculous": -2.5,
    "useless": -2.5,
    "unacceptable": -2.5,
    "joke": -1.5,
    "crashing": -1.7,
    "misunderstanding": -1.0,
    "sorted": 1.8,
}

# Phrases (regular-expression fragments, matched case-insensitively on whole
# words) and their valence on VADER's scale. Each counts once per message.
DOMAIN_PHRASES: Tuple[Tuple[str, float], ...] = (
    # Waiting and things that did not happen.
    ("still waiting", -2.0),
    ("still (?:not|no|nothing)", -2.0),
    ("still (?:hasn'?t|haven'?t|isn'?t|hasnt)", -2.0),
    ("been waiting", -1.5),
    ("waiting since", -1.5),
    ("never (?:arrived|came|received|got)", -2.5),
    ("(?:has|have)n'?t arrived", -2.0),
    ("not (?:arrived|received|dispatched|shipped)", -1.5),
    ("another delay", -2.0),
    ("on hold for", -1.5),
    # Repetition.
    ("(?:second|third|fourth|fifth) time", -1.5),
    ("(?:[2-9]|two|three|four|five|several) times", -1.5),
    ("(?<!order )(?<!buy )(?<!shop )again", -0.8),
    # Broken things and wrong things.
    ("(?:doesn'?t|does not|don'?t|isn'?t|not|stopped) (?:even )?(?:work|working|turn on)", -2.0),
    ("fell apart", -2.0),
    ("coming off", -1.5),
    ("nothing like", -1.5),
    ("supposed to be", -1.0),
    # Money.
    ("waste of (?:money|time)", -2.5),
    ("charged twice", -2.0),
    ("money back", -1.5),
    ("took my money", -2.0),
    # Nobody answers; frustration.
    ("nobody|no one|no-one", -1.5),
    ("anyone there", -1.0),
    ("(?:sick|tired) of", -2.0),
    ("fed up", -2.5),
    ("had enough", -2.0),
    ("can'?t believe", -1.5),
    ("(?:how|so) hard", -1.0),
    ("without telling", -1.5),
    ("not what i asked", -1.5),
    ("never (?:ordering|buying|again)", -2.5),
    ("thanks for nothing", -4.0),
    ("[1-2] stars?", -2.0),
    ("\N{FACE WITH ROLLING EYES}", -1.5),
    # Praise VADER misses.
    ("well done", 2.0),
    ("all good", 1.5),
    ("worth the wait", 2.0),
    ("no complaints", 3.5),
    ("top notch", 2.5),
    ("nice touch", 1.0),
    ("(?:a|you'?re a) star", 2.0),
    ("[4-5] stars?", 2.0),
    ("(?<!never )(?:order|buy|shop) (?:from you )?again", 2.3),
)

_IRONY_FACTOR = 0.25
_CAPS_FACTOR = 1.5
_IMPATIENCE = -1.0
_SHOUTING = -1.5
_ALPHA = 15.0  # VADER's normalisation constant.
_MAX_COMPOUND = 0.9999

_REPEATED_PUNCTUATION = re.compile(r"[?!]{2,}")
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


@dataclass(frozen=True)
class SentimentScore:
    """The sentiment of one message.

    Attributes:
        score: From -1 (very negative) to 1 (very positive).
        label: ``negative``, ``neutral`` or ``positive``.
    """

    score: float
    label: str


def label_for(score: float) -> str:
    """Labels a score of ``score_text``.

    ``negative`` at or below -0.25, ``positive`` at or above 0.25, ``neutral``
    in between: one clearly valenced word is enough to leave neutral, one mild
    one ("again", "fine") is not.

    Args:
        score: A score in -1..1.

    Returns:
        The label.
    """
    if score <= NEGATIVE_AT_OR_BELOW:
        return NEGATIVE
    if score >= POSITIVE_AT_OR_ABOVE:
        return POSITIVE
    return NEUTRAL


def vader_baseline(text: str) -> SentimentScore:
    """Scores a text with plain VADER, for comparison.

    Args:
        text: The message.

    Returns:
        VADER's compound score, labelled with its standard ±0.05 thresholds.
    """
    compound = float(_plain_analyzer().polarity_scores(text)["compound"])
    if compound >= VADER_THRESHOLD:
        label = POSITIVE
    elif compound <= -VADER_THRESHOLD:
        label = NEGATIVE
    else:
        label = NEUTRAL
    return SentimentScore(score=compound, label=label)


def score_text(text: str) -> SentimentScore:
    """Scores a customer's message with VADER and the support-domain rules.

    Args:
        text: The message; empty or blank text is neutral.

    Returns:
        The score in -1..1 (four decimals) and its label (``label_for``).
    """
    text = text.replace("\N{RIGHT SINGLE QUOTATION MARK}", "'").strip()
    if not text:
        return SentimentScore(score=0.0, label=NEUTRAL)
    vader_text = _COURTESY.sub(" ", text) if "?" in text else text
    raw = _unsquash(float(_domain_analyzer().polarity_scores(vader_text)["compound"]))
    phrase_valences = [_weight(match, valence) for match, valence in _phrase_matches(text)]
    if raw > 0 and any(valence < 0 for valence in phrase_valences):
        raw *= _IRONY_FACTOR
    raw += sum(phrase_valences)
    if raw <= 0 and _REPEATED_PUNCTUATION.search(text):
        raw += _IMPATIENCE
    if raw <= 0 and _is_shouting(text):
        raw += _SHOUTING
    score = round(raw / math.sqrt(raw * raw + _ALPHA), 4)
    return SentimentScore(score=score, label=label_for(score))


def sentiment_from_parse_data(parse_data: Mapping[str, Any]) -> Optional[SentimentScore]:
    """Reads the sentiment the NLU component put into a message's parse data.

    Button clicks (``/intent{...}`` payloads) are rebuilt by Rasa's
    ``RegexMessageHandler`` after the pipeline ran, so their parse data has no
    ``sentiment``: they are not the customer's words.

    Args:
        parse_data: ``tracker.latest_message`` or a user event's ``parse_data``.

    Returns:
        The score and label, or ``None`` when the message was not scored.
    """
    sentiment = parse_data.get("sentiment")
    if not isinstance(sentiment, Mapping):
        return None
    score = sentiment.get("score")
    if not isinstance(score, (int, float)) or isinstance(score, bool):
        return None
    clipped = max(-1.0, min(1.0, float(score)))
    return SentimentScore(score=clipped, label=label_for(clipped))


def _weight(match: str, valence: float) -> float:
    letters = [char for char in match if char.isalpha()]
    if len(letters) > 1 and all(char.isupper() for char in letters):
        return valence * _CAPS_FACTOR
    return valence


def _phrase_matches(text: str) -> List[Tuple[str, float]]:
    found = []
    for pattern, valence in _phrase_patterns():
        match = pattern.search(text)
        if match is not None:
            found.append((match.group(0), valence))
    return found


def _is_shouting(text: str) -> bool:
    """Tells whether most words (at least two) are typed in capitals."""
    words = [word for word in _WORD.findall(text) if len(word) > 1]
    shouted = [word for word in words if word.isupper()]
    return len(shouted) >= 2 and len(shouted) * 2 >= len(words)


def _unsquash(compound: float) -> float:
    """Inverts VADER's normalisation: the sum of valences behind a compound."""
    compound = max(-_MAX_COMPOUND, min(_MAX_COMPOUND, compound))
    return compound * math.sqrt(_ALPHA / (1.0 - compound * compound))


@lru_cache(maxsize=1)
def _phrase_patterns() -> Tuple[Tuple[Pattern[str], float], ...]:
    return tuple(
        (re.compile(rf"(?<!\w)(?:{phrase})(?!\w)", re.IGNORECASE), valence)
        for phrase, valence in DOMAIN_PHRASES
    )


@lru_cache(maxsize=1)
def _plain_analyzer() -> SentimentIntensityAnalyzer:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=1)
def _domain_analyzer() -> SentimentIntensityAnalyzer:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    for word in SUPPORT_NEUTRAL_WORDS:
        analyzer.lexicon.pop(word, None)
    analyzer.lexicon.update(DOMAIN_WORDS)
    return analyzer
