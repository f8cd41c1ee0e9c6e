"""Rasa's SQL tracker store, counting a conversation's stored events once per save.

With an event broker configured, Rasa 3.6's ``SQLTrackerStore.save`` works out
which events are new twice: ``stream_events`` loads the whole conversation
session from the database and rebuilds a tracker from it (decoding and replaying
every event) only to take its length, and then ``_additional_events`` counts
the same rows with a ``COUNT`` query. The rebuild grows with the conversation
and was as costly as loading the tracker for the turn itself.

:class:`SingleCountSQLTrackerStore` counts once and uses that count for both: the
events after it are published to the broker and inserted, exactly the events
Rasa would have published (``TrackerEventDiffEngine.event_difference`` also
slices the tracker's events at the stored length) and inserted. Everything else
is Rasa's: the table, the queries, the sessions. It is named in the endpoint
files as ``tracker_store: type: bot.runtime.tracker_store.SingleCountSQLTrackerStore``.
"""

from __future__ import annotations

import itertools
import json
import logging
from typing import List

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)


class SingleCountSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose ``save`` reads the stored events' count only once."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Publishes and stores the events of ``tracker`` that are not stored yet.

        Args:
            tracker: The conversation, with all events of its current session.
        """
        with self.session_scope() as session:
            stored = self._event_query(
                session, tracker.sender_id, fetch_events_from_all_sessions=False
            ).count()
            new_events: List[Event] = list(
                itertools.islice(tracker.events, stored, len(tracker.events))
            )
            if self.event_broker is not None:
                await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
            for event in new_events:
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {})
                        .get("intent", {})
                        .get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
        logger.debug("Stored %d new events of %s", len(new_events), tracker.sender_id)
