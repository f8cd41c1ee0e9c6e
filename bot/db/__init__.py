"""The shop database: models, engine and sessions, migrations, repositories, demo data.

Importing this package connects to nothing; engines are built on first use by
:func:`bot.db.engine.get_engine`.
"""
