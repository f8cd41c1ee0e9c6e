"""Rasa's SQL tracker store, finding the events to publish with a count.

With an event broker configured, Rasa 3.6's ``SQLTrackerStore.save`` first
publishes the tracker's new events (``stream_events``), and to find them it
loads the whole conversation session from the database and rebuilds a tracker
from it, decoding and replaying every event, only to take its length. The
rebuild grows with the conversation and costs as much as loading the tracker
for the turn itself.

:class:`CountingSQLTrackerStore` finds the new events the way Rasa's own insert
step does (``_additional_events``: a ``COUNT`` of the session's stored rows, and
the tracker's events after it), so the same events are published and nothing
is rebuilt. Everything else is Rasa's: the table, the queries, the inserts. It
is named in the endpoint files as ``tracker_store: type:
bot.runtime.tracker_store.CountingSQLTrackerStore``.
"""

from __future__ import annotations

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker


class CountingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that publishes new events without rebuilding the stored tracker."""

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publishes the events of ``tracker`` that are not stored yet.

        Args:
            tracker: The conversation, with all events of its current session.
        """
        if self.event_broker is None:
            return
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
        await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
