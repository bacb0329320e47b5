"""The schema only ever changes through migrations: the migrated database matches the models."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tiers_lieu.extensions import db


def schema_differences():
    """What the database's schema lacks or has beyond the models (empty when they match)."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrations_match_the_models(app):
    assert schema_differences() == []


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(app, backend):
    if backend != "sqlite":
        pytest.skip("SQLite pragmas")
    with db.engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 10000
