"""Fuzzing the API from its own OpenAPI schema (schemathesis): no input, however odd, gets a
5xx or a response that breaks the documented schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from service.settings import Settings
from service.state import AppState
from service.web.app import create_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,  # input the schema forbids must get a 4xx
]


# The schema is static, so the app can be made at import; the model and index it serves are
# attached below, once the session's are ready (the ASGI transport runs no lifespan).
APP = create_app(Settings(rate_limit_per_minute=0, reload_check_seconds=0))
# A body over the size limit is refused with 413 before it is parsed: a rejection too.
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}}}
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)


@pytest.fixture(autouse=True, scope="module")
def _serve_session_index(app_state: AppState) -> None:
    APP.state.qa = app_state


@schema.include(path_regex="^/(ask|health)$").parametrize()
@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI failures reproduce
    suppress_health_check=list(HealthCheck),
)
def test_fuzz_api_never_fails_or_breaks_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
