"""Every URL of the bot service."""

from __future__ import annotations

from aiohttp import web

from bot.service.views import agents, demo, followups, handoffs, login, metrics, pages, widget


def setup_routes(app: web.Application) -> None:
    """Adds the API routes, the console pages and the static files."""
    router = app.router
    router.add_post("/api/login", login.login)
    router.add_post("/api/logout", login.logout)
    router.add_get("/api/me", login.me)
    router.add_get("/api/health", pages.health)

    router.add_get("/api/handoffs", handoffs.list_handoffs)
    router.add_get(r"/api/handoffs/{id:\d+}", handoffs.show_handoff)
    router.add_get(r"/api/handoffs/{id:\d+}/messages", handoffs.list_messages)
    router.add_post(r"/api/handoffs/{id:\d+}/messages", handoffs.post_message)
    router.add_post(r"/api/handoffs/{id:\d+}/claim", handoffs.claim_handoff)
    router.add_post(r"/api/handoffs/{id:\d+}/resolve", handoffs.resolve_handoff)

    router.add_get("/api/followups", followups.list_followups)
    router.add_get("/api/followups.csv", followups.export_followups)
    router.add_patch(r"/api/followups/{id:\d+}", followups.update_followup)

    router.add_get("/api/metrics", metrics.show_metrics)
    router.add_get(r"/api/metrics/charts/{name:[a-z_]+}.png", metrics.show_chart)

    router.add_get("/api/agents", agents.list_all_agents)
    router.add_post("/api/agents", agents.add_agent)

    router.add_get("/widget.js", widget.widget_file)
    router.add_get("/widget.js.map", widget.widget_file)
    router.add_post("/widget/history", widget.chat_history)
    router.add_route("OPTIONS", "/widget/history", widget.chat_history_preflight)
    router.add_get("/demo", demo.demo_page)
    router.add_post("/api/demo/customer-token", demo.demo_customer_token)

    router.add_get("/", pages.home)
    for path in pages.PAGES:
        router.add_get(path, pages.page)
    router.add_get("/static/{path:.+}", pages.static_file)
