"""The console pages and their static files, from ``bot/service/static/``.

The pages themselves are public (they hold no data); everything they show
comes from the API, which needs a logged-in agent.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.service.views.common import NotFoundError, json_response

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
PAGES = {
    "/console": "console.html",
    "/console/followups": "followups.html",
    "/console/dashboard": "dashboard.html",
}
MISSING_PAGE = "This page is not installed yet. Please ask whoever set up the service."


def _page_file(name: str) -> Path:
    path = STATIC_DIR / name
    if not path.is_file():
        raise NotFoundError(MISSING_PAGE)
    return path


async def page(request: web.Request) -> web.FileResponse:
    """Serves the HTML file of a console page."""
    path = _page_file(PAGES[request.path.rstrip("/") or "/console"])
    return web.FileResponse(path, headers={"Cache-Control": "no-cache"})


async def static_file(request: web.Request) -> web.FileResponse:
    """``GET /static/{path}``: a file under ``bot/service/static/``, nothing outside it."""
    root = STATIC_DIR.resolve()
    relative = request.match_info["path"]
    try:
        path = (root / relative).resolve()
    except (OSError, ValueError):
        raise NotFoundError("There is no such file.") from None
    if root not in path.parents or not path.is_file():
        raise NotFoundError("There is no such file.")
    return web.FileResponse(path, headers={"Cache-Control": "no-cache"})


async def home(request: web.Request) -> web.Response:
    """``GET /``: sends agents to the console."""
    raise web.HTTPFound("/console")


async def health(request: web.Request) -> web.Response:
    """``GET /api/health``: the service is up (no log-in needed)."""
    return json_response({"status": "ok"})
