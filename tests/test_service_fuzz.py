"""API fuzzing from the service's own OpenAPI document (schemathesis): for every operation, requests that
fit the schema and requests that break it; the service answers each without a server error and without a
stack trace."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from tests.service_world import API_KEY, service_app

EXAMPLES = 15  # per operation and mode


@pytest.fixture(scope="module")
def api_schema(analysed_template, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("PIGTRACE_API_KEYS", API_KEY)
    app, _ = service_app(analysed_template[1], tmp_path_factory.mktemp("fuzz"))
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    app.state.warehouse.close()
    mp.undo()


def test_no_operation_answers_with_a_server_error(api_schema):
    operations = [r.ok() for r in api_schema.get_all_operations()]
    assert len(operations) >= 15
    called: dict[str, int] = {}
    for op in operations:
        if op.method.upper() == "POST" and op.path == "/v1/analyses":
            continue  # a whole analysis per example; test_service_api runs one
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=op.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def check(case):
                response = case.call(headers={"X-API-Key": API_KEY})
                case.validate_response(response, checks=[not_a_server_error])
                assert "Traceback" not in response.text, (case.path, response.text[:300])
                called[op.label] = called.get(op.label, 0) + 1

            check()
    assert len(called) == len(operations) - 1
