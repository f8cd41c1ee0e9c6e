from __future__ import annotations

from typing import Optional

import pytest

from bot.db.repositories.orders import normalize_order_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ORD-104233", "ORD-104233"),
        ("ord-104233", "ORD-104233"),
        ("ord104233", "ORD-104233"),
        ("ORD104233", "ORD-104233"),
        ("ORD 104233", "ORD-104233"),
        ("Ord 104233", "ORD-104233"),
        ("#104233", "ORD-104233"),
        ("104233", "ORD-104233"),
        ("  ORD-104233  ", "ORD-104233"),
        ("\t104233\n", "ORD-104233"),
        ("000001", "ORD-000001"),
    ],
)
def test_accepted_forms(text: str, expected: str) -> None:
    assert normalize_order_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "ORD-",
        "12345",
        "1234567",
        "ORD-12345",
        "ORD-1042333",
        "ORD--104233",
        "ORD  104233",
        "ORD_104233",
        "ORDER-104233",
        "##104233",
        "#ORD-104233",
        "ORD-104233x",
        "x104233",
        "104 233",
        "10423a",
        "ORD-\u0661\u0660\u0664\u0662\u0663\u0663",  # Arabic-Indic digits
        "\uff11\uff10\uff14\uff12\uff13\uff13",  # full-width digits
        "\u041eRD-104233",  # Cyrillic O
        "1' OR '1'='1",
        "104233' OR '1'='1",
        "ORD-104233'; DROP TABLE orders; --",
        "104233; DROP TABLE orders",
        "<script>alert(1)</script>",
        "ORD-104233<script>",
        "%",
        "_",
        "ORD-10423%",
        "104233\x00",
        "ORD-104233 ORD-104234",
        "1" * 10_000,
    ],
)
def test_rejected_forms(text: str) -> None:
    assert normalize_order_number(text) is None


@pytest.mark.parametrize("value", [None, 104233, 104233.0, b"104233"])
def test_non_text_is_rejected(value: object) -> None:
    result: Optional[str] = normalize_order_number(value)  # type: ignore[arg-type]
    assert result is None
