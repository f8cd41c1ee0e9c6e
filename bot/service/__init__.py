"""The bot service: handoff queue API, agent console, follow-ups and metrics (aiohttp).

Start it with ``python -m bot serve``; :func:`bot.service.app.init_app` builds the application.
"""
