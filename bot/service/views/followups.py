"""The follow-up list API: list, update (status, assignee, notes) and CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any, Dict, List, Optional

from aiohttp import web
from sqlalchemy.orm import Session

from bot.db.models import FollowUp, FollowUpStatus
from bot.db.repositories.agents import get_active_agent
from bot.db.repositories.audit import record_change
from bot.db.repositories.follow_ups import get_follow_up, list_follow_ups, update_follow_up
from bot.service.auth import require_admin
from bot.service.views.common import (
    MAX_ID,
    InvalidRequestError,
    NotFoundError,
    in_transaction,
    iso,
    json_object,
    json_response,
    path_id,
)
from bot.service.views.presenters import follow_up_json

EDITABLE_FIELDS = ("status", "assignee_id", "notes")
MAX_NOTES_LENGTH = 4000
STATUSES = {status.value: status for status in FollowUpStatus}
CSV_COLUMNS = (
    "id",
    "conversation_id",
    "customer_id",
    "reason",
    "priority",
    "status",
    "assignee",
    "notes",
    "created_at",
    "updated_at",
)
# A cell starting with one of these is a formula to a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _status_filter(request: web.Request) -> Optional[FollowUpStatus]:
    raw = request.query.get("status", "").strip().lower()
    if not raw or raw == "all":
        return None
    if raw not in STATUSES:
        raise InvalidRequestError(f"status must be one of {', '.join(STATUSES)} (or left out).")
    return STATUSES[raw]


async def list_followups(request: web.Request) -> web.Response:
    """``GET /api/followups?status=open|in_progress|done``: most urgent first."""
    status = _status_filter(request)

    def load(session: Session) -> List[Dict[str, Any]]:
        return [follow_up_json(item) for item in list_follow_ups(session, status)]

    return json_response({"followups": await in_transaction(request, load)})


def _changes(body: Dict[str, Any]) -> Dict[str, Any]:
    unknown = sorted(set(body) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidRequestError(
            f"These fields cannot be changed: {', '.join(unknown)}. "
            "You can change status, assignee_id and notes."
        )
    if not body:
        raise InvalidRequestError("Nothing to change: send status, assignee_id or notes.")
    changes: Dict[str, Any] = {}
    if "status" in body:
        if body["status"] not in STATUSES:
            raise InvalidRequestError(f"status must be one of {', '.join(STATUSES)}.")
        changes["status"] = STATUSES[body["status"]]
    if "assignee_id" in body:
        assignee = body["assignee_id"]
        if assignee is not None and (
            isinstance(assignee, bool)
            or not isinstance(assignee, int)
            or not 0 < assignee <= MAX_ID
        ):
            raise InvalidRequestError("assignee_id must be an agent's id, or null to unassign.")
        changes["assignee_id"] = assignee
    if "notes" in body:
        notes = body["notes"]
        if not isinstance(notes, str):
            raise InvalidRequestError("notes must be text.")
        if len(notes) > MAX_NOTES_LENGTH:
            raise InvalidRequestError(
                f"Notes can be at most {MAX_NOTES_LENGTH:,} characters; these have {len(notes):,}."
            )
        changes["notes"] = notes
    return changes


def _apply(session: Session, item_id: int, changes: Dict[str, Any]) -> Dict[str, Any]:
    item = get_follow_up(session, item_id)
    if item is None:
        raise NotFoundError(f"There is no follow-up {item_id}.")
    before = _audited_values(item)
    assignee_id = changes.get("assignee_id")
    if assignee_id is not None and get_active_agent(session, assignee_id) is None:
        raise InvalidRequestError(f"There is no active agent with id {assignee_id}.")
    update_follow_up(
        session,
        item,
        status=changes.get("status"),
        assignee_id=assignee_id,
        clear_assignee="assignee_id" in changes and assignee_id is None,
        notes=changes.get("notes"),
    )
    session.refresh(item)
    for field, new in _audited_values(item).items():
        if new != before[field]:
            record_change(
                session, item.conversation_id, "follow_up", str(item.id), field, before[field], new
            )
    return follow_up_json(item)


def _audited_values(item: FollowUp) -> Dict[str, Optional[str]]:
    return {
        "status": item.status.value,
        "assignee": item.assignee.name if item.assignee is not None else None,
        "notes": item.notes,
    }


async def update_followup(request: web.Request) -> web.Response:
    """``PATCH /api/followups/{id}`` with any of ``{"status", "assignee_id", "notes"}``."""
    item_id = path_id(request)
    changes = _changes(await json_object(request))
    return json_response(await in_transaction(request, lambda s: _apply(s, item_id, changes)))


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def followups_csv(items: List[FollowUp]) -> str:
    """The follow-up list as CSV, safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        writer.writerow(
            _cell(value)
            for value in (
                item.id,
                item.conversation_id,
                item.customer_id,
                item.reason,
                item.priority,
                item.status.value,
                item.assignee.name if item.assignee is not None else None,
                item.notes,
                iso(item.created_at),
                iso(item.updated_at),
            )
        )
    return buffer.getvalue()


async def export_followups(request: web.Request) -> web.Response:
    """``GET /api/followups.csv`` (admin): every follow-up as a spreadsheet."""
    require_admin(request)
    status = _status_filter(request)
    text = await in_transaction(
        request, lambda s: followups_csv(list_follow_ups(s, status, limit=100_000))
    )
    filename = f"follow-ups-{date.today().isoformat()}.csv"
    return web.Response(
        text=text,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
