"""The demo shop page ``/demo``: the chat widget on a pretend shop, with a demo log-in.

Both the page and the demo customer's token exist only while
``Settings.demo_enabled`` is on (development by default, never in production
unless ``DEMO_ENABLED`` is set): the token lets anyone who can reach the page
act as the seeded demo customer.
"""

from __future__ import annotations

from datetime import timedelta
from html import escape
from typing import Tuple

from aiohttp import web
from sqlalchemy.orm import Session

from bot.db.repositories.customers import find_customer_by_email
from bot.db.seed import DEMO_CUSTOMER_EMAIL
from bot.identity.tokens import issue_customer_token
from bot.service.views.common import SETTINGS, NotFoundError, in_transaction, json_response
from bot.service.views.pages import STATIC_DIR

DEMO_TOKEN_LIFETIME = timedelta(hours=1)
DEMO_PAGE = "demo.html"
WIDGET_TITLE = "Customer support"
DEMO_OFF = "The demo shop is switched off on this server."
NO_DEMO_CUSTOMER = (
    "The demo customer is not in the database yet. Run `python -m bot seed-demo`, then try again."
)


def _require_demo(request: web.Request) -> None:
    if not request.app[SETTINGS].demo_enabled:
        raise NotFoundError(DEMO_OFF)


async def demo_page(request: web.Request) -> web.Response:
    """``GET /demo``: the demo shop page, pointing the widget at this server's Rasa.

    Raises:
        NotFoundError: When the demo is switched off or the page is not installed.
    """
    _require_demo(request)
    path = STATIC_DIR / DEMO_PAGE
    if not path.is_file():
        raise NotFoundError("The demo page is not installed on this server.")
    settings = request.app[SETTINGS]
    html = path.read_text(encoding="utf-8")
    html = html.replace("{{socket_url}}", escape(settings.browser_rasa_url, quote=True))
    html = html.replace("{{widget_title}}", escape(WIDGET_TITLE, quote=True))
    return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-cache"})


def _demo_customer(session: Session) -> Tuple[int, str]:
    customer = find_customer_by_email(session, DEMO_CUSTOMER_EMAIL)
    if customer is None:
        raise NotFoundError(NO_DEMO_CUSTOMER)
    return int(customer.id), str(customer.name)


async def demo_customer_token(request: web.Request) -> web.Response:
    """``POST /api/demo/customer-token`` (no log-in): a token for the seeded demo customer.

    Raises:
        NotFoundError: When the demo is switched off or the demo customer is missing.
    """
    _require_demo(request)
    customer_id, name = await in_transaction(request, _demo_customer)
    token = issue_customer_token(
        customer_id, request.app[SETTINGS].customer_token_secret, DEMO_TOKEN_LIFETIME
    )
    return json_response(
        {
            "token": token,
            "name": name,
            "email": DEMO_CUSTOMER_EMAIL,
            "expires_in": int(DEMO_TOKEN_LIFETIME.total_seconds()),
        }
    )
