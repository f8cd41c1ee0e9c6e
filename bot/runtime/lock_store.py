"""Rasa's Redis lock store with every change of a conversation's lock made atomic.

Rasa's ``RedisLockStore`` keeps a conversation's ticket lock as one JSON value
and changes it by reading it, changing it in Rasa and writing it back. Two
replicas doing that at the same moment overwrite each other: one's ticket
vanishes, or one deletes the lock while the other waits on it, and that
message then fails with ``LockError`` and is dropped without a reply.

:class:`AtomicRedisLockStore` keeps Rasa's ticket lock and its keys, and
performs each read-change-write inside a Redis transaction that is retried
when another replica changed the lock meanwhile (``WATCH``/``MULTI``,
optimistic locking).

A ticket expires ``lock_lifetime`` seconds after it was issued, so that a
replica that dies while holding a conversation does not block it for good.
In Rasa's waiting loop a message that waits that long behind a dead replica
can see its own ticket expire together with the dead one, and then waits
until its client gives up. Here a waiting replica renews its own ticket at
every look, so only the tickets of replicas that stopped looking expire. It is named in
``endpoints.production.yml`` as ``lock_store: type:
bot.runtime.lock_store.AtomicRedisLockStore``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable, Optional, Tuple, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
# A change is retried this often when other replicas keep changing the same lock.
MAX_ATTEMPTS = 100

Change = Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], bool, _T]]


class AtomicRedisLockStore(RedisLockStore):
    """A ``RedisLockStore`` whose lock changes cannot overwrite each other.

    Args:
        endpoint_config: The ``lock_store`` section of the endpoints file, with
            ``url`` (the Redis host), ``port``, ``db``, ``password`` and
            ``key_prefix`` as for Rasa's ``redis`` type.
        **kwargs: Rasa's ``RedisLockStore`` arguments, when built directly.
    """

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url, **endpoint_config.kwargs, **kwargs}
            kwargs.pop("type", None)
        super().__init__(**kwargs)

    def _change(self, conversation_id: str, change: Change[_T]) -> _T:
        """Applies ``change`` to the stored lock in one transaction and returns its result.

        ``change`` gets the lock (or ``None``) and returns the lock to store
        (``None`` deletes it), whether to write at all, and its result.
        """
        import redis  # type: ignore[import-untyped]

        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            for _ in range(MAX_ATTEMPTS):
                try:
                    pipe.watch(key)
                    serialised = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(serialised)) if serialised else None
                    new_lock, write, result = change(lock)
                    pipe.multi()
                    if write and new_lock is None:
                        pipe.delete(key)
                    elif write and new_lock is not None:
                        pipe.set(key, new_lock.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue
                finally:
                    pipe.reset()
        raise LockError(
            f"The lock of conversation '{conversation_id}' kept changing; "
            f"gave up after {MAX_ATTEMPTS} attempts"
        )

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issues the next ticket of the conversation's lock, creating the lock if needed.

        Raises:
            LockError: When Redis cannot be reached or the lock cannot be changed.
        """

        def issue(lock: Optional[TicketLock]) -> Tuple[TicketLock, bool, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, True, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, issue)
        except LockError:
            raise
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        """Removes the expired tickets of the conversation's lock, if it has one."""

        def update(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], bool, None]:
            if lock is None:
                return None, False, None
            lock.remove_expired_tickets()
            return lock, True, None

        self._change(conversation_id, update)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Removes a served ticket from the conversation's lock."""

        def finish(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], bool, None]:
            if lock is None:
                return None, False, None
            lock.remove_ticket_for(ticket_number)
            return lock, True, None

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Removes a served ticket, and the lock with it when no one else waits."""

        def clean(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], bool, None]:
            if lock is None:
                return None, False, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), True, None

        self._change(conversation_id, clean)

    def _renew_or_take_turn(
        self, conversation_id: str, ticket_number: int, lock_lifetime: float
    ) -> Tuple[Optional[TicketLock], int]:
        """Renews a waiting ticket and tells whether its turn has come.

        Returns:
            The lock when it is this ticket's turn, else ``None``; and the
            ticket number, a new one when the ticket was gone (its lock was
            deleted meanwhile).
        """

        def look(lock: Optional[TicketLock]) -> Tuple[TicketLock, bool, Tuple[bool, int]]:
            lock = lock or TicketLock(conversation_id)
            lock.remove_expired_tickets()
            mine = next((t for t in lock.tickets if t.number == ticket_number), None)
            if mine is None:
                return lock, True, (False, lock.issue_ticket(lock_lifetime))
            mine.expires = time.time() + lock_lifetime
            return lock, True, (not lock.is_locked(ticket_number), ticket_number)

        turn, number = self._change(conversation_id, look)
        return (self.get_lock(conversation_id) if turn else None), number

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[TicketLock]:
        """Holds the conversation's lock, waiting for the tickets issued before this one.

        Args:
            conversation_id: The conversation.
            lock_lifetime: Seconds a ticket lasts when its replica stops renewing it.
            wait_time_in_seconds: Seconds between looks while waiting.

        Raises:
            LockError: When Redis cannot be reached or the lock cannot be changed.
        """
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            while True:
                try:
                    held, ticket = self._renew_or_take_turn(conversation_id, ticket, lock_lifetime)
                except LockError:
                    raise
                except Exception as error:
                    raise LockError(f"Error while waiting for the lock. Error:\n{error}") from error
                if held is not None:
                    break
                logger.debug("Waiting for the lock of conversation '%s'", conversation_id)
                await asyncio.sleep(wait_time_in_seconds)
            yield held
        finally:
            self.cleanup(conversation_id, ticket)
