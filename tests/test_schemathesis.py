"""Fuzzing the JSON API against its own OpenAPI document (schemathesis): no request, however odd, answers
5xx, and every answer has a status, content type and body the document lists for that operation.

Bounded for CI (about twenty seconds a backend on a quiet machine): twenty valid and as many invalid requests per
operation, signed in with a real API token so that the writes get past the guard and reach the code behind it.
"""

from __future__ import annotations

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dailypapers.community.tokens import create_api_token
from dailypapers.community.users import create_user
from dailypapers.store.db import session_scope
from dailypapers.web.app import create_app
from dailypapers.web.routes import subscriptions
from tests.web_helpers import add_papers, record

pytestmark = pytest.mark.slow  # hundreds of generated requests per operation

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 20  # valid requests, and as many invalid ones: over 2,000 requests a backend


@pytest.fixture
def api_schema(settings, session, monkeypatch):
    add_papers(session, [record("2501.00001", "Attention"), record("2501.00002", "Diffusion")])
    monkeypatch.setattr(settings, "rate_limit_writes", 10_000)
    monkeypatch.setattr(settings, "arxiv_api_url", "http://127.0.0.1:9/api/query")  # refused at once: 502
    monkeypatch.setattr(subscriptions, "drain_quietly", lambda: None)  # no SMTP server here
    return schemathesis.openapi.from_asgi("/openapi.json", create_app())


@pytest.fixture
def token(api_schema) -> str:
    with session_scope() as session:
        user = create_user(session, "fuzzer", "a long enough password")
        return create_api_token(session, user, "schemathesis")


def test_the_api_keeps_its_documented_contract(api_schema, token):
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 10
    # One loop, not schemathesis' parametrize: the schema comes from an app that a fixture builds.
    for operation, mode in itertools.product(operations, GenerationMode):

        @given(case=operation.as_strategy(mode))
        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def keeps_the_contract(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            keeps_the_contract()
        except Unsatisfiable:  # nothing in this operation can be sent wrong (no parameters, no body)
            assert mode is GenerationMode.NEGATIVE, operation.label
