"""The migrations upgrade and downgrade cleanly, and match the models."""
from __future__ import annotations

import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from gateway.store.migrate import MIGRATIONS_DIR, downgrade, upgrade
from gateway.store.models import Base


def test_files_are_numbered_and_chained():
    files = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py"))
    numbers = [int(re.match(r"(\d{4})_", name).group(1)) for name in files]
    assert numbers == list(range(1, len(files) + 1))


def test_downgrade_to_base_and_upgrade_again(runtime, database_url):
    downgrade(database_url, "base")
    assert "reports" not in inspect(runtime.engine).get_table_names()
    upgrade(database_url)
    assert "reports" in inspect(runtime.engine).get_table_names()


def test_the_models_match_the_migrated_schema(runtime):
    with runtime.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
