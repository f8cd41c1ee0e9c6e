"""Erasing everything the shop holds about one customer.

The customer's data lives in four places: the application database, Rasa's
tracker store, Rasa's SQL event broker (a copy of every conversation; a
RabbitMQ broker keeps none once delivered) and the export files under
``var/exports/``. Orders stay, as tax law requires, with
their amounts, dates, status and lines but without personal data; the
customer's row stays too, anonymised, because the orders and the erasure
request point to it.

:func:`erase_customer` works in three steps:

1. One transaction in the application database deletes and anonymises the
   customer's rows and their export files. Each of the customer's
   conversations keeps a bare row (no text, no personal data) linked to the
   customer: the list of what the other stores still have to lose.
2. The tracker store and the event broker delete those conversations' events.
3. A last transaction deletes the bare rows, along with anything the event
   consumer wrote for those conversations in the meantime, marks the erasure
   request completed and records in the audit trail that the erasure happened.

If anything stops it after step 1, running it again finishes the job: the
bare rows, and the ``customer_id`` slot in the stores' own events, still say
which conversations were the customer's.
"""

from __future__ import annotations

from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Collection, Dict, Iterator, List, Mapping, Set, Tuple

from sqlalchemy import Table
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.db.engine import get_engine, make_session_factory, session_scope
from bot.db.errors import CustomerNotFoundError
from bot.db.models import Conversation, PrivacyRequest
from bot.db.repositories.audit import record_change
from bot.db.repositories.conversation_data import ERASURE_RECORDS, delete_conversation_records
from bot.db.repositories.customer_data import (
    anonymise_customer,
    complete_erasure_requests,
    conversations_of_customer,
    count_orders,
    delete_audit_about,
    delete_customer_records,
    link_conversations,
    linked_conversations,
    records_of,
)
from bot.db.repositories.privacy import lock_customer
from bot.db.repositories.tracker_events import (
    TRACKER_EVENTS,
    count_events,
    delete_events,
    sender_ids_with_slot,
    sql_broker_url,
    table_exists,
)
from bot.events.source import BROKER_EVENTS
from bot.privacy.export import EXPORTS_DIR, export_file
from bot.settings import Settings

# The slot that holds the verified customer's id (domain.yml).
CUSTOMER_ID_SLOT = "customer_id"

# How the erasure itself appears in the audit trail: it is not done from a
# conversation, and the entry names the customer by id only.
ERASURE_SOURCE = "privacy-erasure"
AUDIT_ENTITY = "customer"
AUDIT_FIELD = "personal_data"
AUDIT_VALUE = "erased"

TRACKER_STORE = "tracker store"
EVENT_BROKER = "event broker"


class ErasureIncompleteError(Exception):
    """The application data is erased, but a store outside it could not be cleaned.

    Running the erasure again finishes it.
    """

    def __init__(self, customer_id: int, store: str, cause: BaseException) -> None:
        super().__init__(
            f"Customer {customer_id}'s data is erased from the application database, "
            f"but the {store} could not be cleaned ({cause.__class__.__name__})"
        )
        self.customer_id = customer_id
        self.store = store


class StoreUnavailableError(Exception):
    """A store could not be read, so nothing was erased."""

    def __init__(self, store: str, cause: BaseException) -> None:
        super().__init__(f"The {store} could not be read ({cause.__class__.__name__})")
        self.store = store


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure deleted, or would delete in a dry run.

    Attributes:
        customer_id: The customer.
        dry_run: ``True`` when nothing was changed.
        conversations: The customer's conversations (Rasa sender ids).
        deleted: Rows deleted from the application database, per table.
        anonymised: Rows kept but stripped of personal data, per table.
        orders_kept: The customer's orders, kept for accounting.
        tracker_events: Events deleted from the tracker store.
        broker_events: Rows deleted from the event broker.
        export_files: Export files deleted.
        requests_completed: Erasure requests marked completed.
    """

    customer_id: int
    dry_run: bool
    conversations: Tuple[str, ...]
    deleted: Mapping[str, int]
    anonymised: Mapping[str, int]
    orders_kept: int
    tracker_events: int
    broker_events: int
    export_files: Tuple[Path, ...]
    requests_completed: int = 0


@dataclass
class _AppResult:
    conversations: Set[str]
    deleted: Dict[str, int] = field(default_factory=dict)
    anonymised: Dict[str, int] = field(default_factory=dict)
    orders_kept: int = 0
    export_files: List[Path] = field(default_factory=list)


def _add(into: Dict[str, int], counts: Mapping[str, int]) -> None:
    for table, count in counts.items():
        into[table] = into.get(table, 0) + count


@contextmanager
def _transaction(engine: Engine, commit: bool) -> Iterator[Session]:
    if commit:
        with session_scope(engine) as committed:
            yield committed
        return
    session: Session = make_session_factory(engine)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def _store_conversations(engine: Engine, table: Table, store: str, customer_id: int) -> Set[str]:
    try:
        with _transaction(engine, commit=False) as session:
            if not table_exists(session, table):
                return set()
            return sender_ids_with_slot(session, table, CUSTOMER_ID_SLOT, customer_id)
    except SQLAlchemyError as error:
        raise StoreUnavailableError(store, error) from error


def _export_files(var_dir: Path, requests: Collection[PrivacyRequest]) -> List[Path]:
    """The customer's export files that exist, only ever inside ``var/exports/``."""
    exports = (var_dir / EXPORTS_DIR).resolve()
    found: Set[Path] = set()
    for request in requests:
        with suppress(ValueError):
            found.add(export_file(var_dir, request.reference).resolve())
        if request.export_path:
            path = Path(request.export_path).resolve()
            if path.parent == exports:
                found.add(path)
    return sorted(path for path in found if path.is_file())


def _erase_application_data(
    session: Session, settings: Settings, customer_id: int, found_in_stores: Set[str]
) -> _AppResult:
    customer = lock_customer(session, customer_id)
    if customer is None:
        raise CustomerNotFoundError(customer_id)
    records = records_of(session, customer)
    conversations = conversations_of_customer(session, customer_id, records) | found_in_stores
    conversations.discard(ERASURE_SOURCE)
    result = _AppResult(conversations=conversations)
    result.export_files = _export_files(settings.var_dir, records.privacy_requests)
    # The conversations' own rows stay until the other stores are clean (see _finish).
    records_but_conversations = [
        record for record in ERASURE_RECORDS if record.table != Conversation.__tablename__
    ]
    _add(
        result.deleted,
        delete_conversation_records(session, conversations, records_but_conversations),
    )
    _add(result.deleted, {"audit_entries": delete_audit_about(session, records)})
    _add(result.deleted, delete_customer_records(session, customer))
    link_conversations(session, customer_id, conversations)
    result.anonymised = anonymise_customer(session, customer)
    result.orders_kept = count_orders(session, customer_id)
    return result


def _clean_store(
    engine: Engine, table: Table, store: str, customer_id: int, ids: Set[str], dry_run: bool
) -> int:
    try:
        with _transaction(engine, commit=not dry_run) as session:
            if not ids or not table_exists(session, table):
                return 0
            if dry_run:
                return count_events(session, table, ids)
            return delete_events(session, table, ids)
    except SQLAlchemyError as error:
        if dry_run:
            raise StoreUnavailableError(store, error) from error
        raise ErasureIncompleteError(customer_id, store, error) from error


def _finish(session: Session, customer_id: int) -> Tuple[Dict[str, int], int]:
    leftovers = linked_conversations(session, customer_id)
    deleted = delete_conversation_records(session, leftovers, ERASURE_RECORDS)
    completed = complete_erasure_requests(session, customer_id)
    record_change(
        session, ERASURE_SOURCE, AUDIT_ENTITY, str(customer_id), AUDIT_FIELD, None, AUDIT_VALUE
    )
    return deleted, completed


def erase_customer(settings: Settings, customer_id: int, *, dry_run: bool = False) -> ErasureReport:
    """Deletes everything the shop holds about a customer; orders stay, anonymised.

    Args:
        settings: Where the application database, the tracker store, the
            event broker and the export files are.
        customer_id: The customer to erase.
        dry_run: Count what would be deleted and change nothing.

    Returns:
        What was deleted (or would be, in a dry run).

    Raises:
        CustomerNotFoundError: When there is no such customer; nothing changes.
        StoreUnavailableError: When a store cannot be read before anything is
            changed (or, in a dry run, at all).
        ErasureIncompleteError: When the application data is erased but the
            tracker store or event broker could not be cleaned; running the
            erasure again finishes it.
        sqlalchemy.exc.SQLAlchemyError: When the application database fails.
        OSError: When an export file cannot be deleted; nothing changes in
            the application database.
    """
    app = get_engine(settings.database_url)
    tracker = get_engine(settings.tracker_store_url)
    broker_url = sql_broker_url(settings.event_broker_url)
    broker = get_engine(broker_url) if broker_url is not None else None
    in_stores = _store_conversations(tracker, TRACKER_EVENTS, TRACKER_STORE, customer_id)
    if broker is not None:
        in_stores |= _store_conversations(broker, BROKER_EVENTS, EVENT_BROKER, customer_id)

    with _transaction(app, commit=not dry_run) as session:
        result = _erase_application_data(session, settings, customer_id, in_stores)
        if not dry_run:
            # Last, so that a failure here leaves the database as it was.
            for path in result.export_files:
                path.unlink(missing_ok=True)

    ids = result.conversations
    tracker_events = _clean_store(tracker, TRACKER_EVENTS, TRACKER_STORE, customer_id, ids, dry_run)
    broker_events = 0
    if broker is not None:
        broker_events = _clean_store(broker, BROKER_EVENTS, EVENT_BROKER, customer_id, ids, dry_run)

    completed = 0
    if not dry_run:
        with session_scope(app) as session:
            leftovers, completed = _finish(session, customer_id)
        # The bare conversation rows were bookkeeping, not the customer's data.
        leftovers.pop(Conversation.__tablename__, None)
        _add(result.deleted, leftovers)

    return ErasureReport(
        customer_id=customer_id,
        dry_run=dry_run,
        conversations=tuple(sorted(ids)),
        deleted={table: count for table, count in sorted(result.deleted.items())},
        anonymised=dict(sorted(result.anonymised.items())),
        orders_kept=result.orders_kept,
        tracker_events=tracker_events,
        broker_events=broker_events,
        export_files=tuple(result.export_files),
        requests_completed=completed,
    )
