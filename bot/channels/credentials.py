"""The Rasa server's channel credentials, generated from the environment.

Rasa substitutes ``${VAR}`` in ``credentials.yml`` but refuses to start when a
variable is unset, so a channel cannot be "off unless configured" there. This
module starts from the project's ``credentials.yml`` (REST and socket.io, always
on) and adds each messaging app only when its variables are set. A channel with
some of its variables set and others missing is a configuration mistake and
raises :class:`ChannelConfigError` naming what is missing.

Each app is served by the project's subclass of Rasa's connector in
:mod:`bot.channels` (``bot.channels.telegram.TelegramInput`` …), which refuses
forged and malformed webhooks; Rasa loads it by its dotted class path, and
it keeps the built-in channel's name and webhook URL.

Rasa's Twilio connector is one channel named ``twilio`` (webhook
``/webhooks/twilio/webhook``) that replies from one number, so SMS and WhatsApp
cannot both be on at once: ``TWILIO_WHATSAPP_NUMBER`` is the same channel with
the WhatsApp sender ``whatsapp:+…`` as its number.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

import yaml

from bot.settings import PROJECT_ROOT, Settings

GENERATED_FILE_NAME = "credentials.yml"
WHATSAPP_PREFIX = "whatsapp:"
# What Telegram accepts as a webhook's secret_token.
TELEGRAM_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")

TELEGRAM_CONNECTOR = "bot.channels.telegram.TelegramInput"
TWILIO_CONNECTOR = "bot.channels.twilio.TwilioInput"
FACEBOOK_CONNECTOR = "bot.channels.facebook.FacebookInput"
SLACK_CONNECTOR = "bot.channels.slack.SlackInput"
SOCKETIO_CHANNEL = "bot.channels.socketio.SecureSocketIOInput"


class ChannelConfigError(ValueError):
    """A messaging channel is only partly configured.

    Attributes:
        channel: The channel's name in ``credentials.yml`` (``telegram``, ``twilio`` …).
        missing: The environment variables that still need a value.
    """

    def __init__(self, channel: str, missing: Sequence[str], hint: str = "") -> None:
        self.channel = channel
        self.missing = tuple(missing)
        detail = hint or (
            f"set {', '.join(self.missing)}, or unset the channel's other variables "
            f"to switch it off"
        )
        super().__init__(f"The {channel} channel is only partly configured: {detail}.")


@dataclass(frozen=True)
class _Channel:
    """How one messaging channel's credentials come from the environment.

    Attributes:
        name: The channel's name (``telegram`` …), as Rasa and the webhook URL know it.
        connector: The channel's key in ``credentials.yml``: its input channel's class path.
        required: Pairs of (environment variable, credential key) that must all be set.
        optional: Pairs that are copied when set.
    """

    name: str
    connector: str
    required: Tuple[Tuple[str, str], ...]
    optional: Tuple[Tuple[str, str], ...] = ()

    @property
    def variables(self) -> Tuple[str, ...]:
        """Every environment variable of the channel."""
        return tuple(variable for variable, _ in self.required + self.optional)


_TELEGRAM = _Channel(
    "telegram",
    TELEGRAM_CONNECTOR,
    required=(
        ("TELEGRAM_ACCESS_TOKEN", "access_token"),
        ("TELEGRAM_VERIFY", "verify"),
        ("TELEGRAM_WEBHOOK_URL", "webhook_url"),
        ("TELEGRAM_SECRET_TOKEN", "secret_token"),
    ),
    optional=(("TELEGRAM_API_URL", "api_url"),),
)
_FACEBOOK = _Channel(
    "facebook",
    FACEBOOK_CONNECTOR,
    required=(
        ("FACEBOOK_VERIFY", "verify"),
        ("FACEBOOK_SECRET", "secret"),
        ("FACEBOOK_PAGE_ACCESS_TOKEN", "page-access-token"),
    ),
)
_SLACK = _Channel(
    "slack",
    SLACK_CONNECTOR,
    required=(("SLACK_TOKEN", "slack_token"), ("SLACK_SIGNING_SECRET", "slack_signing_secret")),
    optional=(("SLACK_CHANNEL", "slack_channel"),),
)
_TWILIO_VARIABLES = (
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_NUMBER",
    "TWILIO_WHATSAPP_NUMBER",
    "TWILIO_WEBHOOK_URL",
)


def _value(env: Mapping[str, str], name: str) -> str:
    """An environment variable's value; blank counts as unset."""
    return (env.get(name) or "").strip()


def _channel_credentials(channel: _Channel, env: Mapping[str, str]) -> Optional[Dict[str, str]]:
    """Credentials of one channel, or ``None`` when none of its variables is set."""
    if not any(_value(env, variable) for variable in channel.variables):
        return None
    missing = [variable for variable, _ in channel.required if not _value(env, variable)]
    if missing:
        raise ChannelConfigError(channel.name, missing)
    credentials = {key: _value(env, variable) for variable, key in channel.required}
    credentials.update(
        {key: _value(env, variable) for variable, key in channel.optional if _value(env, variable)}
    )
    return credentials


def _telegram_credentials(env: Mapping[str, str]) -> Optional[Dict[str, str]]:
    """Credentials of the Telegram channel, with a secret token Telegram accepts."""
    credentials = _channel_credentials(_TELEGRAM, env)
    if credentials and not TELEGRAM_SECRET_TOKEN.fullmatch(credentials["secret_token"]):
        raise ChannelConfigError(
            "telegram",
            ("TELEGRAM_SECRET_TOKEN",),
            hint=(
                "TELEGRAM_SECRET_TOKEN must be 1 to 256 characters, each a letter, "
                "a digit, _ or -"
            ),
        )
    return credentials


def _whatsapp_sender(number: str) -> str:
    """The Twilio sender address of a WhatsApp number: ``whatsapp:+…``."""
    return number if number.startswith(WHATSAPP_PREFIX) else f"{WHATSAPP_PREFIX}{number}"


def _twilio_credentials(env: Mapping[str, str]) -> Optional[Dict[str, str]]:
    """Credentials of the Twilio channel (SMS, or WhatsApp through Twilio)."""
    if not any(_value(env, variable) for variable in _TWILIO_VARIABLES):
        return None
    sms, whatsapp = _value(env, "TWILIO_NUMBER"), _value(env, "TWILIO_WHATSAPP_NUMBER")
    missing = [name for name in _TWILIO_VARIABLES[:2] if not _value(env, name)]
    if not sms and not whatsapp:
        missing.append("TWILIO_NUMBER")
    if missing:
        raise ChannelConfigError("twilio", missing)
    if sms and whatsapp:
        raise ChannelConfigError(
            "twilio",
            ("TWILIO_NUMBER", "TWILIO_WHATSAPP_NUMBER"),
            hint=(
                "Rasa's Twilio connector replies from a single number, so set either "
                "TWILIO_NUMBER (SMS) or TWILIO_WHATSAPP_NUMBER (WhatsApp), not both"
            ),
        )
    credentials = {
        "account_sid": _value(env, "TWILIO_ACCOUNT_SID"),
        "auth_token": _value(env, "TWILIO_AUTH_TOKEN"),
        "twilio_number": sms or _whatsapp_sender(whatsapp),
    }
    if _value(env, "TWILIO_WEBHOOK_URL"):
        credentials["webhook_url"] = _value(env, "TWILIO_WEBHOOK_URL")
    return credentials


def channel_credentials(env: Mapping[str, str], base: Path) -> Dict[str, Any]:
    """The Rasa server's channel credentials for this environment.

    Args:
        env: Environment variables (``os.environ`` in production).
        base: The project's ``credentials.yml`` with the channels that are always on.

    Returns:
        The contents for a ``credentials.yml``: the base channels, then each
        messaging channel whose variables are set, keyed by its connector's
        class path.

    Raises:
        ChannelConfigError: A channel has some of its variables set but not all
            that it needs, or Twilio has both an SMS and a WhatsApp number.
    """
    credentials: Dict[str, Any] = dict(yaml.safe_load(base.read_text(encoding="utf-8")) or {})
    configured = {
        _TELEGRAM.connector: _telegram_credentials(env),
        TWILIO_CONNECTOR: _twilio_credentials(env),
        _FACEBOOK.connector: _channel_credentials(_FACEBOOK, env),
        _SLACK.connector: _channel_credentials(_SLACK, env),
    }
    credentials.update({name: values for name, values in configured.items() if values})
    return credentials


def _share_socketio_through_redis(credentials: Dict[str, Any], redis_url: str) -> None:
    """Points the socket.io channel at the Redis every Rasa replica shares."""
    section = dict(credentials.get(SOCKETIO_CHANNEL) or {})
    section["redis_url"] = redis_url
    credentials[SOCKETIO_CHANNEL] = section


def write_credentials(settings: Settings, env: Mapping[str, str]) -> Path:
    """Writes the generated ``credentials.yml`` for the Rasa server.

    The file holds secrets, so only its owner may read it (mode 600). It is
    replaced atomically, so a running server never reads half a file.

    Args:
        settings: The assistant's settings; the file goes to ``settings.var_dir``.
        env: Environment variables (``os.environ`` in production).

    Returns:
        The path of the written file, for ``rasa run --credentials``.

    Raises:
        ChannelConfigError: A messaging channel is only partly configured.
    """
    credentials = channel_credentials(env, PROJECT_ROOT / GENERATED_FILE_NAME)
    if settings.socketio_redis_url:
        _share_socketio_through_redis(credentials, settings.socketio_redis_url)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    target = settings.var_dir / GENERATED_FILE_NAME
    # mkstemp creates the file with mode 600 before any secret is written to it.
    descriptor, temporary = tempfile.mkstemp(dir=settings.var_dir, prefix=".credentials-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write("# Generated from the environment by bot.channels.credentials.\n")
            yaml.safe_dump(credentials, stream, sort_keys=False, default_flow_style=False)
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
