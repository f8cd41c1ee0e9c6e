from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict

import jwt
import pytest

from bot.identity.tokens import (
    METADATA_KEY,
    customer_id_from_metadata,
    issue_customer_token,
    verify_customer_token,
)
from bot.settings import PROJECT_ROOT

SECRET = "shared-secret-of-the-shop-website"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)
TTL = timedelta(minutes=30)


def signed(claims: Dict[str, Any], secret: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def valid_claims(**overrides: Any) -> Dict[str, Any]:
    claims: Dict[str, Any] = {"sub": "42", "exp": int((NOW + TTL).timestamp())}
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def b64(data: Dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_an_issued_token_identifies_the_customer() -> None:
    token = issue_customer_token(42, SECRET, TTL, now=NOW)
    assert verify_customer_token(token, SECRET, now=NOW) == 42
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["sub"] == "42"
    assert claims["exp"] == int((NOW + TTL).timestamp())
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_a_token_from_the_website_is_accepted() -> None:
    assert verify_customer_token(signed(valid_claims()), SECRET, now=NOW) == 42


def test_a_token_signed_with_another_secret_is_rejected() -> None:
    forged = issue_customer_token(42, "guessed-secret", TTL, now=NOW)
    assert verify_customer_token(forged, SECRET, now=NOW) is None


def test_a_token_with_a_changed_payload_is_rejected() -> None:
    header, _, signature = issue_customer_token(42, SECRET, TTL, now=NOW).split(".")
    tampered = ".".join((header, b64(valid_claims(sub="1")), signature))
    assert verify_customer_token(tampered, SECRET, now=NOW) is None


def test_a_token_with_a_truncated_signature_is_rejected() -> None:
    token = issue_customer_token(42, SECRET, TTL, now=NOW)
    assert verify_customer_token(token[:-2], SECRET, now=NOW) is None


def test_a_token_expires_at_its_exp() -> None:
    token = issue_customer_token(42, SECRET, TTL, now=NOW)
    assert verify_customer_token(token, SECRET, now=NOW + TTL - timedelta(seconds=1)) == 42
    assert verify_customer_token(token, SECRET, now=NOW + TTL) is None
    assert verify_customer_token(token, SECRET, now=NOW + timedelta(days=365)) is None


def test_expiry_is_judged_by_the_real_clock_by_default() -> None:
    past = datetime.now(timezone.utc) - timedelta(hours=2)
    expired = issue_customer_token(42, SECRET, TTL, now=past)
    current = issue_customer_token(42, SECRET, TTL)
    assert verify_customer_token(expired, SECRET) is None
    assert verify_customer_token(current, SECRET) == 42


def test_an_unsigned_token_is_rejected() -> None:
    # "alg": "none" with an empty signature, and the same with the secret as signature.
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(valid_claims())}."
    assert verify_customer_token(unsigned, SECRET, now=NOW) is None
    assert verify_customer_token(signed(valid_claims(), "", "none"), SECRET, now=NOW) is None
    assert verify_customer_token(unsigned + "c2lnbmVk", SECRET, now=NOW) is None


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_other_algorithms_are_rejected_even_with_the_right_secret(algorithm: str) -> None:
    token = signed(valid_claims(), algorithm=algorithm)
    assert verify_customer_token(token, SECRET, now=NOW) is None


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"sub": "42"}, id="no exp"),
        pytest.param({"exp": int((NOW + TTL).timestamp())}, id="no sub"),
        pytest.param(valid_claims(exp="tomorrow"), id="exp not a number"),
        pytest.param(valid_claims(nbf=int((NOW + TTL).timestamp() - 60)), id="not yet valid"),
    ],
)
def test_tokens_without_a_usable_expiry_or_subject_are_rejected(claims: Dict[str, Any]) -> None:
    assert verify_customer_token(signed(claims), SECRET, now=NOW) is None


@pytest.mark.parametrize("value", ["NaN", "Infinity"])
def test_an_expiry_that_never_comes_is_rejected(value: str) -> None:
    # JSON parsers accept these; a comparison with NaN is never true.
    header = b64({"alg": "HS256", "typ": "JWT"})
    payload = base64.urlsafe_b64encode(f'{{"sub":"42","exp":{value}}}'.encode()).rstrip(b"=")
    signing_input = f"{header}.{payload.decode()}"
    algorithm = jwt.get_algorithm_by_name("HS256")
    signature = algorithm.sign(signing_input.encode(), algorithm.prepare_key(SECRET))
    token = f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    assert verify_customer_token(token, SECRET, now=NOW) is None


@pytest.mark.parametrize(
    "subject", [42, "abc", "4.2", "42.0", " 42", "+42", "-42", "0", "0042", "4_2", "١٢", ""]
)
def test_a_subject_that_is_not_a_customer_id_string_is_rejected(subject: Any) -> None:
    assert verify_customer_token(signed(valid_claims(sub=subject)), SECRET, now=NOW) is None


@pytest.mark.parametrize(
    "token", [None, 42, b"bytes", {"sub": "42"}, ["a"], "", "not.a.token", "a" * 5000]
)
def test_anything_but_a_token_string_gives_none(token: Any) -> None:
    assert verify_customer_token(token, SECRET, now=NOW) is None


def test_an_empty_secret_accepts_nothing() -> None:
    token = signed(valid_claims(), secret="")
    assert verify_customer_token(token, "", now=NOW) is None
    with pytest.raises(ValueError):
        issue_customer_token(42, "", TTL, now=NOW)


@pytest.mark.parametrize("customer_id", [0, -1, True, "42"])
def test_tokens_are_only_issued_for_customer_ids(customer_id: Any) -> None:
    with pytest.raises(ValueError):
        issue_customer_token(customer_id, SECRET, TTL, now=NOW)


def test_tokens_need_a_positive_lifetime_and_an_aware_time() -> None:
    with pytest.raises(ValueError):
        issue_customer_token(42, SECRET, timedelta(0), now=NOW)
    with pytest.raises(ValueError):
        issue_customer_token(42, SECRET, TTL, now=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError):
        verify_customer_token("x", SECRET, now=NOW.replace(tzinfo=None))


def test_metadata_identifies_the_customer_by_the_signed_token() -> None:
    token = issue_customer_token(42, SECRET, TTL, now=NOW)
    assert customer_id_from_metadata({METADATA_KEY: token}, SECRET, now=NOW) == 42
    assert METADATA_KEY == "customer_token"


@pytest.mark.parametrize(
    "make_metadata",
    [
        pytest.param(lambda token: {"customer_id": 42}, id="unsigned id"),
        pytest.param(lambda token: {"customer_id": "42", "sub": "42"}, id="unsigned strings"),
        pytest.param(lambda token: {"customer": {"id": 42}}, id="nested"),
        pytest.param(lambda token: {"token": token}, id="token under another key"),
        pytest.param(lambda token: {"Customer_Token": token}, id="key in another case"),
        pytest.param(lambda token: {METADATA_KEY: None, "customer_id": 42}, id="no token"),
        pytest.param(lambda token: {}, id="empty"),
        pytest.param(lambda token: None, id="none"),
        pytest.param(lambda token: [METADATA_KEY, token], id="not a mapping"),
    ],
)
def test_nothing_but_the_signed_token_counts(make_metadata: Callable[[str], Any]) -> None:
    metadata = make_metadata(issue_customer_token(42, SECRET, TTL, now=NOW))
    assert customer_id_from_metadata(metadata, SECRET, now=NOW) is None


def test_an_unsigned_id_next_to_the_token_does_not_override_it() -> None:
    token = issue_customer_token(42, SECRET, TTL, now=NOW)
    metadata = {"customer_id": 7, METADATA_KEY: token}
    assert customer_id_from_metadata(metadata, SECRET, now=NOW) == 42


def test_an_expired_token_in_metadata_identifies_nobody() -> None:
    token = issue_customer_token(42, SECRET, TTL, now=NOW)
    assert customer_id_from_metadata({METADATA_KEY: token}, SECRET, now=NOW + TTL) is None


def test_the_token_module_needs_neither_rasa_nor_the_database() -> None:
    code = (
        "import sys, bot.identity.tokens\n"
        "loaded = {name.split('.')[0] for name in sys.modules}\n"
        "print(sorted(loaded & {'rasa', 'rasa_sdk', 'sqlalchemy', 'sanic'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env={"PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"
