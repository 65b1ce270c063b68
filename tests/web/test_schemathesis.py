"""Property-based API testing with schemathesis against the app's own OpenAPI document (in-process ASGI):
whatever the generated input, no 5xx, and every response is JSON shaped as the spec says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from tests.web.conftest import ADMIN, make_container

from purser.web.app import WebOptions, create_app
from purser.web.limits import Rate

MAX_EXAMPLES = 15


def fuzz(operation: Any) -> Any:
    """A hypothesis test of one operation: no 5xx, responses as documented."""
    headers = dict(ADMIN) if operation.path.startswith("/api/admin") else {}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

    return run


def test_no_server_errors(tmp_path: Path) -> None:
    container = make_container(tmp_path)
    # Generous limits: this tests inputs, not floods (429s would hide the handlers).
    options = WebOptions(
        ip_rate=Rate(burst=100_000, per_second=100_000),
        conversation_rate=Rate(burst=100_000, per_second=100_000),
        create_rate=Rate(burst=100_000, per_second=100_000),
    )
    app = create_app(container, options)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # The stream never ends by design; its input handling is covered by test_live and test_security.
    operations = [op for op in operations if not op.path.endswith("/stream")]
    assert len(operations) >= 14
    failures: list[str] = []
    for operation in operations:
        try:
            fuzz(operation)()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    container.close()
    assert not failures, "\n\n".join(failures)
