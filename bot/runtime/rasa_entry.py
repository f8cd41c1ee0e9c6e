"""``python -m bot.runtime.rasa_entry …``: Rasa's command line, with two cheap speed-ups.

Frequent short messages are parsed once per process (``bot.runtime.parse_cache``).

Rasa 3.6 validates every action server response with ``jsonschema.validate``,
which checks the large response schema itself and builds a new validator on
every call: about 50 ms of CPU per custom action, the biggest single cost of a
turn under load (``make bench --profile``). The response is validated here
against the same schema with a validator built once per process; invalid
responses are rejected with the same ``ValidationError`` and message.

The JWT secret can be given as ``--jwt-secret-env NAME``: it is read from that
environment variable and handed to Rasa inside the process. Any local user can
read a process's command line (``ps``, ``/proc/PID/cmdline``); only its owner
can read its environment.

Everything else is Rasa's own ``main()``, so the other arguments are those of
``python -m rasa``.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from typing import Any, Dict, List, Mapping

JWT_SECRET_ENV_OPTION = "--jwt-secret-env"


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


def with_secret_from_environment(argv: List[str], environ: Mapping[str, str]) -> List[str]:
    """Replaces ``--jwt-secret-env NAME`` with Rasa's ``--jwt-secret`` and NAME's value.

    Args:
        argv: The command line, program name first.
        environ: The environment to read the secret from.

    Returns:
        The command line Rasa parses; unchanged without the option.

    Raises:
        SystemExit: When the option lacks a name or the variable is unset or empty.
    """
    result: List[str] = []
    arguments = iter(argv)
    for argument in arguments:
        if argument == JWT_SECRET_ENV_OPTION:
            name = next(arguments, "")
        elif argument.startswith(JWT_SECRET_ENV_OPTION + "="):
            name = argument.split("=", 1)[1]
        else:
            result.append(argument)
            continue
        if not name:
            raise SystemExit(f"{JWT_SECRET_ENV_OPTION} needs the name of an environment variable")
        secret = environ.get(name, "")
        if not secret:
            raise SystemExit(f"{JWT_SECRET_ENV_OPTION}: the environment variable {name} is not set")
        # One argument, so that a secret starting with "-" is not taken for an option.
        result.append(f"--jwt-secret={secret}")
    return result


def main() -> None:
    """Runs Rasa's command line after installing the faster check and the parse cache."""
    from bot.runtime import parse_cache

    sys.argv = with_secret_from_environment(sys.argv, os.environ)
    install()
    parse_cache.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
