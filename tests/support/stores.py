"""Every store a conversation reaches, on SQLite or PostgreSQL, for erasure and retention tests.

The application database is migrated; the tracker store's and the event
broker's ``events`` tables are created from the project's own declarations
of Rasa's tables. On PostgreSQL the three live in ``TEST_POSTGRES_URL``'s
database and two siblings named ``<database>_tracker`` and ``<database>_broker``.
"""

from __future__ import annotations

import json
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Sequence, Tuple

import pytest
from sqlalchemy import MetaData, String, Text, select
from sqlalchemy.engine import Engine, make_url

from bot.db.engine import create_engine_for_url, dispose_engines, session_scope
from bot.db.repositories.tracker_events import TRACKER_EVENTS
from bot.db.seed import reset_shop_data
from bot.events.source import BROKER_EVENTS
from bot.settings import Settings, load_settings
from tests.support.database import (
    BACKENDS,
    ensure_postgres_database,
    postgres_url,
    prepare_database,
    reset_postgres_schema,
)


@dataclass
class Stores:
    """The three databases and the settings that point to them."""

    settings: Settings
    app: Engine
    tracker: Engine
    broker: Engine

    @property
    def exports_dir(self) -> Path:
        """Where export files are written."""
        return self.settings.var_dir / "exports"

    def add_events(
        self,
        sender_id: str,
        events: Sequence[Mapping[str, Any]],
        *,
        tracker: bool = True,
        broker: bool = True,
    ) -> None:
        """Stores events as Rasa does: in the tracker store and in the event broker."""
        tracker_rows = [
            {
                "sender_id": sender_id,
                "type_name": event["event"],
                "timestamp": event.get("timestamp"),
                "intent_name": None,
                "action_name": event.get("name") if event["event"] == "action" else None,
                "data": json.dumps(event),
            }
            for event in events
        ]
        broker_rows = [{"sender_id": sender_id, "data": json.dumps(event)} for event in events]
        if tracker:
            with self.tracker.begin() as connection:
                connection.execute(TRACKER_EVENTS.insert(), tracker_rows)
        if broker:
            with self.broker.begin() as connection:
                connection.execute(BROKER_EVENTS.insert(), broker_rows)

    def event_senders(self) -> Dict[str, List[str]]:
        """The sender ids of every event, per store."""
        senders: Dict[str, List[str]] = {}
        for name, engine, table in (
            ("tracker", self.tracker, TRACKER_EVENTS),
            ("broker", self.broker, BROKER_EVENTS),
        ):
            with engine.connect() as connection:
                senders[name] = list(connection.execute(select(table.c.sender_id)).scalars())
        return senders

    def clear(self) -> None:
        """Empties every store and the export directory."""
        dispose_engines()
        with session_scope(self.app) as session:
            reset_shop_data(session)
        for engine, table in ((self.tracker, TRACKER_EVENTS), (self.broker, BROKER_EVENTS)):
            with engine.begin() as connection:
                connection.execute(table.delete())
        shutil.rmtree(self.exports_dir, ignore_errors=True)


def _sibling(url: str, suffix: str) -> str:
    target = make_url(url)
    return str(
        target.set(database=f"{target.database}{suffix}").render_as_string(hide_password=False)
    )


def _events_database(url: str, table: Any) -> Engine:
    engine = create_engine_for_url(url)
    table.metadata.create_all(engine, tables=[table])
    return engine


@contextmanager
def all_stores(backend: str, tmp_dir: Path) -> Iterator[Stores]:
    """Yields empty stores of ``backend``; skips without PostgreSQL (outside CI)."""
    app_url = prepare_database(backend, tmp_dir)
    if backend == "sqlite":
        tracker_url = f"sqlite:///{tmp_dir / 'tracker.db'}"
        broker_url = f"sqlite:///{tmp_dir / 'events.db'}"
    else:
        tracker_url = _sibling(postgres_url(), "_tracker")
        broker_url = _sibling(postgres_url(), "_broker")
        for url in (tracker_url, broker_url):
            ensure_postgres_database(url)
            reset_postgres_schema(url)
    var_dir = tmp_dir / "var"
    settings = load_settings(
        {
            "BOT_VAR_DIR": str(var_dir),
            "DATABASE_URL": app_url,
            "TRACKER_STORE_URL": tracker_url,
            "EVENT_BROKER_URL": broker_url,
        }
    )
    stores = Stores(
        settings=settings,
        app=create_engine_for_url(app_url),
        tracker=_events_database(tracker_url, TRACKER_EVENTS),
        broker=_events_database(broker_url, BROKER_EVENTS),
    )
    try:
        yield stores
    finally:
        dispose_engines()
        for engine in (stores.app, stores.tracker, stores.broker):
            engine.dispose()


def text_values(engine: Engine) -> Iterator[Tuple[str, str, str]]:
    """Yields (table, column, value) for every text value in every table of the database.

    The tables are read from the database itself, so tables added later are
    scanned too.
    """
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
            if not columns:
                continue
            for row in connection.execute(select(*columns)):
                for column, value in zip(columns, row):
                    if value:
                        yield table.name, column.name, str(value)


def find_traces(stores: Stores, needles: Sequence[str]) -> List[str]:
    """Where any of ``needles`` (case-insensitive) still appears: every store and the var dir."""
    lowered = [needle.lower() for needle in needles]
    found: List[str] = []
    for store, engine in (
        ("app", stores.app),
        ("tracker", stores.tracker),
        ("broker", stores.broker),
    ):
        for table, column, value in text_values(engine):
            hits = [needle for needle in lowered if needle in value.lower()]
            if hits:
                found.append(f"{store}.{table}.{column}: {hits}")
    for path in sorted(stores.settings.var_dir.rglob("*.json")):
        content = path.read_text(encoding="utf-8").lower()
        hits = [needle for needle in lowered if needle in content]
        if hits:
            found.append(f"file {path.name}: {hits}")
    return found


@pytest.fixture(scope="module", params=BACKENDS)
def module_stores(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stores]:
    """The application database, tracker store and event broker of one backend."""
    with all_stores(request.param, tmp_path_factory.mktemp("stores")) as stores:
        yield stores


@pytest.fixture
def stores(module_stores: Stores) -> Iterator[Stores]:
    """The stores, empty at the start of the test."""
    module_stores.clear()
    yield module_stores
    module_stores.clear()
