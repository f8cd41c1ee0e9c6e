"""Fixtures for action tests: a seeded demo shop and tracker builders."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
from rasa_sdk import Tracker

from bot.settings import Settings, load_settings


@pytest.fixture(scope="session")
def demo_shop_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose database holds the seeded demo shop."""
    from bot.db.bootstrap import prepare_database

    var_dir: Path = tmp_path_factory.mktemp("actions-var")
    settings = load_settings({"BOT_VAR_DIR": str(var_dir)})
    prepare_database(settings.database_url)
    return settings


@pytest.fixture
def demo_shop(demo_shop_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Points every action at the demo shop's database."""
    from bot.settings import get_settings

    monkeypatch.setenv("BOT_VAR_DIR", str(demo_shop_settings.var_dir))
    monkeypatch.setenv("DATABASE_URL", demo_shop_settings.database_url)
    get_settings.cache_clear()
    yield demo_shop_settings
    get_settings.cache_clear()


def make_tracker(
    slots: Optional[Dict[str, Any]] = None,
    text: str = "",
    intent: str = "inform",
    events: Optional[List[Dict[str, Any]]] = None,
    active_loop: Optional[str] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
    sender_id: str = "test-conversation",
) -> Tracker:
    """Builds a tracker as the action server receives it."""
    return Tracker(
        sender_id=sender_id,
        slots=slots or {},
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities or [],
        },
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )
