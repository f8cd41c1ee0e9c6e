"""The conversation lock shared by the Rasa replicas: no change of it may be lost.

Runs against the Redis on 127.0.0.1:6379 (db 11, keys of its own); without
it the module is skipped, except under CI, where it fails.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
import uuid
from typing import Iterator, List, Tuple

import pytest
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig

from bot.runtime.lock_store import AtomicRedisLockStore
from bot.runtime.services import redis_answers

REDIS_DB = 11


@pytest.fixture
def prefix() -> Iterator[str]:
    if not redis_answers("127.0.0.1", 6379):
        if os.environ.get("CI"):
            pytest.fail("Redis on 127.0.0.1:6379 is required under CI", pytrace=False)
        pytest.skip("Redis on 127.0.0.1:6379 is not available")
    key_prefix = f"locktest{uuid.uuid4().hex[:8]}"
    yield key_prefix
    store = replica(key_prefix)
    for key in store.red.scan_iter(f"{key_prefix}:*"):
        store.red.delete(key)


def replica(key_prefix: str) -> AtomicRedisLockStore:
    """The lock store as one Rasa replica builds it from ``endpoints.production.yml``."""
    config = EndpointConfig(
        url="127.0.0.1",
        type="bot.runtime.lock_store.AtomicRedisLockStore",
        port="6379",
        db=str(REDIS_DB),
        password="",
        key_prefix=key_prefix,
    )
    store = LockStore.create(config)
    assert isinstance(store, AtomicRedisLockStore)
    return store


def test_a_ticket_issued_meanwhile_by_another_replica_is_kept(prefix, monkeypatch):
    first, second = replica(prefix), replica(prefix)
    issue = TicketLock.issue_ticket
    interfered: List[int] = []

    def issue_while_the_other_replica_issues_too(lock: TicketLock, lifetime: float) -> int:
        if not interfered:
            interfered.append(-1)
            interfered[0] = second.issue_ticket("conversation")
        return issue(lock, lifetime)

    monkeypatch.setattr(TicketLock, "issue_ticket", issue_while_the_other_replica_issues_too)
    ticket = first.issue_ticket("conversation")

    # Rasa numbers tickets from 0.
    assert interfered == [0]
    assert ticket == 1
    lock = first.get_lock("conversation")
    assert lock is not None
    assert [t.number for t in lock.tickets] == [0, 1]


def test_finishing_keeps_the_lock_for_a_replica_that_started_waiting_meanwhile(prefix, monkeypatch):
    first, second = replica(prefix), replica(prefix)
    served = first.issue_ticket("conversation")
    remove = TicketLock.remove_ticket_for
    waiting: List[int] = []

    def remove_while_the_other_replica_takes_a_ticket(lock: TicketLock, number: int) -> None:
        if not waiting:
            waiting.append(second.issue_ticket("conversation"))
        remove(lock, number)

    monkeypatch.setattr(
        TicketLock, "remove_ticket_for", remove_while_the_other_replica_takes_a_ticket
    )
    first.cleanup("conversation", served)

    lock = first.get_lock("conversation")
    assert lock is not None, "the waiting replica's lock was deleted"
    assert [t.number for t in lock.tickets] == waiting == [1]
    assert not lock.is_locked(1)


def test_the_last_replica_to_finish_removes_the_lock(prefix):
    store = replica(prefix)
    ticket = store.issue_ticket("conversation")
    store.cleanup("conversation", ticket)

    assert store.get_lock("conversation") is None


async def test_a_message_waiting_behind_a_dead_replica_gets_its_turn_when_that_ticket_expires(
    prefix,
):
    dead, alive = replica(prefix), replica(prefix)
    dead.issue_ticket("conversation", lock_lifetime=1)  # and its replica is killed

    async def answer() -> float:
        started = time.monotonic()
        async with alive.lock("conversation", lock_lifetime=1, wait_time_in_seconds=0.2):
            return time.monotonic() - started

    waited = await asyncio.wait_for(answer(), timeout=10)

    assert 0.8 < waited < 3
    assert alive.get_lock("conversation") is None


def _contend(key_prefix: str, rounds: int, results: multiprocessing.Queue[object]) -> None:
    store = replica(key_prefix)
    spans: List[Tuple[float, float]] = []
    errors: List[str] = []

    async def main() -> None:
        for _ in range(rounds):
            try:
                async with store.lock("busy", lock_lifetime=10, wait_time_in_seconds=0.01):
                    started = time.monotonic()
                    await asyncio.sleep(0.005)
                    spans.append((started, time.monotonic()))
            except Exception as error:  # every failure is reported to the test
                errors.append(repr(error))

    asyncio.run(main())
    results.put((spans, errors))


@pytest.mark.timeout(120)
def test_replicas_taking_one_conversation_at_once_are_served_one_at_a_time(prefix):
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[object] = context.Queue()
    processes = [context.Process(target=_contend, args=(prefix, 30, results)) for _ in range(2)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=100) for _ in processes]
    for process in processes:
        process.join(timeout=10)

    errors = [error for _, process_errors in outcomes for error in process_errors]
    spans = sorted(span for process_spans, _ in outcomes for span in process_spans)
    assert errors == []
    assert len(spans) == 60
    assert all(later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:]))
