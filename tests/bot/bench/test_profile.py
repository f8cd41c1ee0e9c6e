import pytest

from bot.bench.profile import package_of, summarize_collapsed, summary_text

SITE = "/work/main/.venv/lib/python3.10/site-packages"
ROOT = "process 1:rasa;thread 0x1;run (asyncio/base_events.py:600)"
COLLAPSED = [
    f"{ROOT};predict ({SITE}/rasa/core/policies/ted_policy.py:10);"
    f"__call__ ({SITE}/tensorflow/python/eager/def_function.py:880) 60",
    f"{ROOT};parse ({SITE}/rasa/core/processor.py:5);__call__ ({SITE}/spacy/language.py:1000) 30",
    f"{ROOT};save ({SITE}/sqlalchemy/orm/session.py:3) 10",
    "garbage line",
]


def test_time_is_split_by_the_package_of_the_innermost_frame():
    summary = summarize_collapsed(COLLAPSED)
    assert summary.samples == 100
    assert summary.by_package == [("tensorflow", 0.6), ("spacy", 0.3), ("sqlalchemy", 0.1)]


def test_a_function_counts_once_per_sample_however_deep():
    summary = summarize_collapsed(COLLAPSED)
    total = dict(summary.top_total)
    assert total["run (asyncio/base_events.py)"] == pytest.approx(1.0)
    assert total["predict (rasa/core/policies/ted_policy.py)"] == pytest.approx(0.6)
    assert dict(summary.top_self)["__call__ (spacy/language.py)"] == pytest.approx(0.3)


def test_packages_are_named_from_site_packages_or_as_the_standard_library():
    assert package_of(f"{SITE}/numpy/core/fromnumeric.py") == "numpy"
    assert package_of("/usr/lib/python3.10/asyncio/events.py") == "stdlib"
    assert package_of("bot/nlp/sentiment.py") == "bot"


def test_no_samples_says_so():
    assert summarize_collapsed([]).samples == 0
    assert "No samples" in summary_text(summarize_collapsed([]))
