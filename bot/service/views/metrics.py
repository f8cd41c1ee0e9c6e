"""Dashboard metrics (admin only): ``GET /api/metrics`` and the chart PNGs."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Optional

from aiohttp import web

from bot.db.models import utcnow
from bot.metrics.charts import CHART_NAMES, render_chart
from bot.metrics.queries import SupportMetrics, support_metrics
from bot.service.auth import require_admin
from bot.service.views.common import NotFoundError, in_transaction, json_response, query_int

MAX_DAYS = 3660


def _since(request: web.Request) -> Optional[datetime]:
    """The start of the period: ``?days=N`` means the last N days; all time without it."""
    days = query_int(request, "days", 0, 0, MAX_DAYS)
    return utcnow() - timedelta(days=days) if days else None


async def _metrics(request: web.Request) -> SupportMetrics:
    since = _since(request)
    return await in_transaction(request, lambda session: support_metrics(session, since))


async def show_metrics(request: web.Request) -> web.Response:
    """``GET /api/metrics?days=N``: every dashboard number."""
    require_admin(request)
    return json_response((await _metrics(request)).as_json())


async def show_chart(request: web.Request) -> web.Response:
    """``GET /api/metrics/charts/{name}.png``: ``sentiment``, ``escalations`` or ``csat``."""
    require_admin(request)
    name = request.match_info["name"]
    if name not in CHART_NAMES:
        raise NotFoundError(f"There is no chart called {name!r}; try {', '.join(CHART_NAMES)}.")
    metrics = await _metrics(request)
    png = await asyncio.to_thread(render_chart, name, metrics)
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "no-store"})
