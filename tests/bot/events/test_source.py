from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, List

import pytest
from sqlalchemy import create_engine

from bot.events.source import (
    BROKER_EVENTS,
    SqlBrokerSource,
    UnsupportedBrokerError,
    create_source,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def broker_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    engine = create_engine(url, future=True)
    BROKER_EVENTS.metadata.create_all(engine)
    engine.dispose()
    yield url


def insert(url: str, *ids: int) -> None:
    engine = create_engine(url, future=True)
    with engine.begin() as connection:
        for row_id in ids:
            connection.execute(
                BROKER_EVENTS.insert().values(
                    id=row_id,
                    sender_id=f"conv-{row_id}",
                    data=json.dumps({"event": "bot", "sender_id": f"conv-{row_id}"}),
                )
            )
    engine.dispose()


def positions(records) -> List[int]:
    return [record.position for record in records]


def test_rows_come_in_order_after_the_cursor_in_batches(broker_url):
    insert(broker_url, 1, 2, 3, 4, 5)
    source = SqlBrokerSource(broker_url)
    try:
        assert positions(source.read(0, 3)) == [1, 2, 3]
        [record] = source.read(4, 10)
        assert (record.position, record.sender_id, record.source_id) == (5, "conv-5", "broker:5")
        assert json.loads(record.payload)["event"] == "bot"
        assert source.read(5, 10) == []
    finally:
        source.close()


def test_a_missing_table_reads_as_no_events_yet(tmp_path):
    source = SqlBrokerSource(f"sqlite:///{tmp_path / 'not-created-yet.db'}")
    try:
        assert source.read(0, 10) == []
    finally:
        source.close()


def test_on_sqlite_a_deleted_row_is_skipped_at_once(broker_url):
    insert(broker_url, 1, 2, 4)
    source = SqlBrokerSource(broker_url)
    try:
        assert positions(source.read(0, 10)) == [1, 2, 4]
    finally:
        source.close()


def test_a_row_committed_late_is_waited_for(broker_url):
    insert(broker_url, 1, 2, 4)
    clock = FakeClock()
    source = SqlBrokerSource(broker_url, gap_grace_seconds=2.0, clock=clock)
    try:
        assert positions(source.read(0, 10)) == [1, 2]
        clock.now = 1.0
        assert source.read(2, 10) == []
        insert(broker_url, 3)
        assert positions(source.read(2, 10)) == [3, 4]
    finally:
        source.close()


def test_a_row_that_never_appears_is_skipped_after_the_grace_period(broker_url):
    insert(broker_url, 5, 7)
    clock = FakeClock()
    source = SqlBrokerSource(broker_url, gap_grace_seconds=2.0, clock=clock)
    try:
        # The cursor says 4 was the last one: 5 follows without a gap.
        assert positions(source.read(4, 10)) == [5]
        clock.now = 1.9
        assert source.read(5, 10) == []
        clock.now = 2.1
        assert positions(source.read(5, 10)) == [7]
    finally:
        source.close()


def test_a_fresh_consumer_starts_at_the_first_row_there_is(broker_url):
    insert(broker_url, 40, 41)
    source = SqlBrokerSource(broker_url, gap_grace_seconds=2.0, clock=FakeClock())
    try:
        assert positions(source.read(0, 10)) == [40, 41]
    finally:
        source.close()


def test_the_batch_size_must_be_positive(broker_url):
    source = SqlBrokerSource(broker_url)
    with pytest.raises(ValueError):
        source.read(0, 0)


def test_the_factory_reads_sql_brokers(broker_url):
    insert(broker_url, 1)
    source = create_source(broker_url)
    try:
        assert isinstance(source, SqlBrokerSource)
        assert positions(source.read(0, 10)) == [1]
    finally:
        source.close()


@pytest.mark.parametrize("url", ["kafka://localhost:9092", "not a url"])
def test_the_factory_refuses_brokers_it_cannot_read(url):
    with pytest.raises(UnsupportedBrokerError):
        create_source(url)
