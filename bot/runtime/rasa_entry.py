"""``python -m bot.runtime.rasa_entry …``: Rasa's command line, with a faster action check.

Rasa 3.6 validates every action server response with ``jsonschema.validate``,
which checks the large response schema itself and builds a new validator on
every call: about 50 ms of CPU per custom action, the biggest single cost of a
turn under load (``make bench --profile``). The response is validated here
against the same schema with a validator built once per process; invalid
responses are rejected with the same ``ValidationError`` and message.

Everything else is Rasa's own ``main()``, so the arguments are those of
``python -m rasa``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    """Validates an action server response like Rasa does, with a cached validator.

    Args:
        self: The ``RemoteAction`` being run.
        result: The action server's JSON response.

    Returns:
        ``True`` for a valid response.

    Raises:
        jsonschema.ValidationError: When the response does not match Rasa's schema.
    """
    from jsonschema import ValidationError, exceptions
    from rasa.shared.constants import DOCS_BASE_URL

    error = exceptions.best_match(_response_validator().iter_errors(result))
    if error is None:
        return True
    assert isinstance(error, ValidationError)
    error.message += (
        ". Failed to validate Action server response from API, "
        "make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    """Replaces Rasa's per-call schema check with the cached one."""
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


def main() -> None:
    """Runs Rasa's command line after installing the faster check."""
    install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
