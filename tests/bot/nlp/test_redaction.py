"""Redaction of e-mails, phone numbers and card numbers; order numbers survive."""

from __future__ import annotations

import pytest

from bot.nlp.redaction import luhn_valid, redact


@pytest.mark.parametrize(
    "text",
    [
        "jane.doe@example.com",
        "Jane.Doe+orders@mail.example.co.uk",
        "o'brien_p@shop-mail.ie",
    ],
)
def test_emails_are_redacted(text: str) -> None:
    assert redact(f"my email is {text} thanks") == "my email is [email] thanks"


@pytest.mark.parametrize(
    "phone",
    [
        "+353 1 555 0142",
        "+353 87 123 4567",
        "+353871234567",
        "(555) 123-4567",
        "+1 (555) 123-4567",
        "555-123-4567",
        "555.123.4567",
        "087 123 4567",
        "0871234567",
        "020 7946 0958",
        "0044 20 7946 0958",
        "+44 (0)20 7946 0958",
        "+49 30 1234567",
    ],
)
def test_phone_numbers_are_redacted(phone: str) -> None:
    assert redact(f"call me on {phone} after 5") == "call me on [phone] after 5"


@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "4111111111111111",
        "5555 5555 5555 4444",
        "3782 822463 10005",
        "378282246310005",
        "6011 0009 9013 9424",
        "4222222222222",
        "6221260000000000019",
    ],
)
def test_luhn_valid_card_numbers_are_redacted(card: str) -> None:
    assert redact(f"I paid with {card}, please check") == "I paid with [card], please check"


@pytest.mark.parametrize(
    "digits",
    [
        "4111 1111 1111 1112",
        "4111-1111-1111-1112",
        "4111111111111112",
        "5555 5555 5555 4445",
        "1234567890123",
    ],
)
def test_digit_runs_failing_luhn_stay(digits: str) -> None:
    assert redact(f"reference {digits} on my statement") == f"reference {digits} on my statement"


def test_failed_card_groups_are_not_mistaken_for_a_phone_number() -> None:
    assert redact("5500 0000 0000 0005") == "5500 0000 0000 0005"
    assert redact("5500 0000 0000 0004") == "[card]"


@pytest.mark.parametrize(
    "text",
    [
        "where is ORD-104233?",
        "order #104233 please",
        "ord104233",
        "my order is 104233",
        "the code is 483920",
        "ORD-104233, ORD-100001 and ORD-100004",
        "it cost €129.99 on 2024-05-01",
        "size 42, 3 items",
    ],
)
def test_order_numbers_codes_dates_and_amounts_are_kept(text: str) -> None:
    assert redact(text) == text


def test_mixed_message() -> None:
    text = (
        "Hi, ORD-104233 was charged to 4111 1111 1111 1111 twice. Reach me at "
        "jane.doe@example.com or +353 87 123 4567; my code was 483920."
    )
    assert redact(text) == (
        "Hi, ORD-104233 was charged to [card] twice. Reach me at "
        "[email] or [phone]; my code was 483920."
    )


def test_card_next_to_other_numbers_is_still_found() -> None:
    assert redact("#104233 4111 1111 1111 1111") == "#104233 [card]"
    assert redact("4111 1111 1111 1111 12/27") == "[card] 12/27"


def test_text_without_personal_data_is_unchanged() -> None:
    assert redact("") == ""
    assert redact("my parcel never arrived!!!") == "my parcel never arrived!!!"


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("4111111111111111", True),
        ("79927398713", True),
        ("0", True),
        ("4111111111111112", False),
        ("79927398710", False),
        ("", False),
        ("4111 1111", False),
    ],
)
def test_luhn_check(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid
