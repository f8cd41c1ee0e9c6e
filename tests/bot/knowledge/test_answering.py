import pytest

from bot.knowledge.answering import MIN_ARTICLE_CONFIDENCE, article_choice, pick_suggestion


def test_reads_the_response_selector_choice():
    parse = {
        "response_selector": {
            "faq": {
                "response": {"intent_response_key": "faq/gift_cards_balance", "confidence": 0.8}
            }
        }
    }
    choice = article_choice(parse)
    assert choice is not None
    assert (choice.article_id, choice.response_name) == (
        "gift_cards_balance",
        "utter_faq/gift_cards_balance",
    )
    assert choice.is_confident is (MIN_ARTICLE_CONFIDENCE <= 0.8)


@pytest.mark.parametrize(
    "parse", [{}, {"response_selector": {}}, {"response_selector": {"faq": {"response": {}}}}]
)
def test_no_choice_without_a_retrieval_key(parse):
    assert article_choice(parse) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the first one", "a"),
        ("2nd please", "b"),
        ("the last one", "c"),
        ("number three", "c"),
        ("hmm", None),
    ],
)
def test_ordinals_pick_from_the_offered_articles(text, expected):
    assert pick_suggestion(text, ["a", "b", "c"]) == expected


def test_an_ordinal_beyond_the_offer_picks_nothing():
    assert pick_suggestion("the third one", ["a", "b"]) is None
