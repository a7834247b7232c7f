"""Property-based check of the HTTP API against its own OpenAPI document (schemathesis).

Schemathesis reads /openapi.json from the ASGI app, generates valid and invalid requests for
every operation (hypothesis) and checks each response: no server error, a documented status,
the documented content type and a body that matches the response schema.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from packaged import packaged_router  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.services import open_services  # noqa: E402
from bot.web import create_app  # noqa: E402

MAX_EXAMPLES = 40


@pytest.fixture(scope="module")
def web_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    path: Path = tmp_path_factory.mktemp("schema") / "web.sqlite3"
    # No rate limit here: hypothesis sends hundreds of requests from one client.
    settings = dataclasses.replace(Settings(db_path=path), rate_limit_per_minute=0)
    services = asyncio.run(open_services(settings, packaged_router()))
    yield create_app(services)
    asyncio.run(services.close())


@pytest.fixture(scope="module")
def web_schema(web_app: Any) -> Any:
    config = schemathesis.config.SchemathesisConfig()
    # Positive and negative cases, every built-in check; a bounded number of examples per operation.
    config.projects.default.generation.update(max_examples=MAX_EXAMPLES, database="none")
    return schemathesis.openapi.from_asgi("/openapi.json", web_app, config=config)


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_api_conforms_to_its_openapi_document(web_schema: Any, mode: str) -> None:
    """Valid requests are answered as documented; invalid ones are refused as documented (4xx)."""
    strategy = web_schema.as_strategy(GenerationMode(mode))

    @settings(
        max_examples=MAX_EXAMPLES * 4,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        case.call_and_validate()

    check()
