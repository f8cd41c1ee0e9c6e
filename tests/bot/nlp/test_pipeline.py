from pathlib import Path

import pytest
import spacy

from bot.nlp.pipeline import EMAIL_LABEL, ORDER_NUMBER_LABEL, build_pipeline, create_pipeline


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return create_pipeline()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("where is ORD-104233 please", [("ORD-104233", ORDER_NUMBER_LABEL)]),
        ("my order #ORD-104233 is late", [("ORD-104233", ORDER_NUMBER_LABEL)]),
        ("order ORD 104233", [("ORD 104233", ORDER_NUMBER_LABEL)]),
        ("it's ord104233", [("ord104233", ORDER_NUMBER_LABEL)]),
        ("order #104233 never came", [("#104233", ORDER_NUMBER_LABEL)]),
        ("jane.doe@example.com", [("jane.doe@example.com", EMAIL_LABEL)]),
        (
            "ORD-100001 and Sam.Lee+shop@mail.example.org",
            [("ORD-100001", ORDER_NUMBER_LABEL), ("Sam.Lee+shop@mail.example.org", EMAIL_LABEL)],
        ),
    ],
)
def test_finds_order_numbers_and_emails(nlp, text, expected):
    assert [(ent.text, ent.label_) for ent in nlp(text).ents] == expected


@pytest.mark.parametrize(
    "text",
    [
        "the code is 482913",  # one-time codes are not order numbers
        "ORD-12345",  # five digits
        "1' OR '1'='1",
        "<script>alert(1)</script>",
        "email me at jane@",
        "",
    ],
)
def test_ignores_what_is_not_an_order_number_or_email(nlp, text):
    assert list(nlp(text).ents) == []


def test_lemmatizes_with_lookup_tables(nlp):
    assert [token.lemma_ for token in nlp("parcels were returned")] == ["parcel", "be", "return"]


def test_saved_pipeline_loads_with_spacy_load(tmp_path: Path):
    output = tmp_path / "pipeline"
    assert build_pipeline(output) is True
    loaded = spacy.load(output)
    assert [ent.label_ for ent in loaded("ORD-100001 from a@b.co").ents] == [
        ORDER_NUMBER_LABEL,
        EMAIL_LABEL,
    ]


def test_build_skips_a_current_pipeline_and_force_rebuilds(tmp_path: Path):
    output = tmp_path / "pipeline"
    build_pipeline(output)
    assert build_pipeline(output) is False
    assert build_pipeline(output, force=True) is True
