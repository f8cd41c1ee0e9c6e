"""Schema migrations of the shop database, run through Alembic's Python API.

The project has no ``alembic.ini``: :func:`alembic_config` builds the
configuration in code, pointing at ``<project root>/alembic`` and at the given
database URL. ``alembic/env.py`` reads the URL back from that configuration.

Revisions are numbered ``0001``, ``0002``, … and their files are named
``<number>_<slug>.py``; :func:`create_revision` keeps to that scheme.
"""

from __future__ import annotations

from typing import Optional

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.db.engine import create_engine_for_url
from bot.db.errors import DatabaseNotMigratedError
from bot.settings import PROJECT_ROOT

ALEMBIC_DIR = PROJECT_ROOT / "alembic"
FILE_TEMPLATE = "%%(rev)s_%%(slug)s"


def alembic_config(database_url: str) -> Config:
    """Returns an Alembic configuration for the project's migrations.

    Args:
        database_url: SQLAlchemy URL of the database to migrate.
    """
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.set_main_option("file_template", FILE_TEMPLATE)
    # ConfigParser interpolates "%": URL-encoded passwords must be escaped.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrates the database up to ``revision``; a no-op when already there.

    Args:
        database_url: SQLAlchemy URL of the database to migrate.
        revision: Target revision; the newest by default.
    """
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Migrates the database down to ``revision`` (``"base"`` drops everything).

    Args:
        database_url: SQLAlchemy URL of the database to migrate.
        revision: Target revision.
    """
    command.downgrade(alembic_config(database_url), revision)


def current_revision(database_url: str) -> Optional[str]:
    """Returns the revision the database is at, or ``None`` if never migrated.

    Args:
        database_url: SQLAlchemy URL of the database to inspect.
    """
    engine = create_engine_for_url(database_url, pooled=False)
    try:
        with engine.connect() as connection:
            revision: Optional[str] = MigrationContext.configure(connection).get_current_revision()
            return revision
    finally:
        engine.dispose()


def head_revision() -> str:
    """Returns the newest revision in ``alembic/versions``."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head: Optional[str] = script.get_current_head()
    if head is None:
        raise RuntimeError(f"No migrations found in {ALEMBIC_DIR / 'versions'}")
    return head


def next_revision_id() -> str:
    """Returns the number of the next migration, e.g. ``"0002"``."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    numbers = [int(rev.revision) for rev in script.walk_revisions() if rev.revision.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def create_revision(database_url: str, message: str, autogenerate: bool = False) -> str:
    """Writes a new, numbered migration file to ``alembic/versions``.

    Args:
        database_url: Database to compare the models against when
            autogenerating; it must be at the newest revision.
        message: Short description; it becomes the file name's slug.
        autogenerate: Fill in the operations from the difference between
            ``bot.db.models`` and the database.

    Returns:
        The new revision's identifier.
    """
    revision_id = next_revision_id()
    command.revision(
        alembic_config(database_url),
        message=message,
        autogenerate=autogenerate,
        rev_id=revision_id,
    )
    return revision_id


def require_newest_revision(database_url: str) -> str:
    """Checks that the database has every migration applied.

    Args:
        database_url: SQLAlchemy URL of the database to inspect.

    Returns:
        The revision the database is at.

    Raises:
        DatabaseNotMigratedError: When the database was never migrated or is
            at an older revision than the newest in ``alembic/versions``.
    """
    current = current_revision(database_url)
    head = head_revision()
    if current != head:
        raise DatabaseNotMigratedError(current, head)
    return head
