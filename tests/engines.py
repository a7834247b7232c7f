"""The two storage engines the store tests run on (fixtures `engine`, `db_target`, `db` in
conftest.py): mark a test or a module with `both_engines` and every test of it that uses the
database runs once on each engine."""

from __future__ import annotations

import pytest

ENGINES = ("sqlite", "postgresql")
both_engines = pytest.mark.both_engines
