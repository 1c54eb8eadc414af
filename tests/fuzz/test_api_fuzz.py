"""API fuzz: every operation under /api/v1/ against the OpenAPI schema the app itself serves.

Schemathesis reads /api/schema/ from the WSGI application in-process, generates requests for each
operation (valid ones and deliberately invalid ones) and sends them signed in as a staff member,
so the admin endpoints run their real code rather than stopping at 403. Some invalid requests leave
the Authorization header out on purpose (the 401 paths); all others carry the token. Besides its
own examples, schemathesis probes each path with undeclared methods (405) and media types (415).
Every response must not be a 5xx, must carry a documented status code and content type, a body
matching the documented schema for that status, and the documented headers.

Some of the ids the fuzz sends exist (tags, speeches, game sessions, device sessions, an upload
session, seeded with fixed ids), so "found" paths run as well as 404s. Rate limits are off: the fuzz
sends hundreds of requests a minute from one user. Each operation starts from a fresh database
(transactional_db), so e.g. the account deletion of DELETE /users/me does not leak into the others.

Examples per operation: FUZZ_MAX_EXAMPLES (default 25: about a minute for the whole module on two
cores; 150 takes a little longer as many operations run out of distinct inputs first). The
terminal summary lists requests per operation and status code. A failure prints the request as a
curl command and Hypothesis' seed to replay it.
"""

import os
import uuid
from datetime import timedelta

import pytest
import schemathesis
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import DeviceSession
from accounts.services.tokens import start_session
from config.wsgi import application
from game.models import UserResponse
from imports.models import UploadSession
from tests.accounts.factories import StaffUserFactory, UserFactory
from tests.content.factories import SpeechFactory, TagFactory
from tests.game.factories import played_session

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

# The werkzeug client of schemathesis' WSGI transport sends `Host: localhost`.
WSGI_HOST = "localhost"


def _ids(prefix: str, count: int) -> list[str]:
    return [str(uuid.uuid5(uuid.NAMESPACE_URL, f"englishapp-fuzz/{prefix}/{n}")) for n in range(count)]


TAG_IDS = _ids("tag", 3)
SPEECH_IDS = _ids("speech", 4)
OWN_GAME_SESSION_ID, OTHERS_GAME_SESSION_ID = _ids("game-session", 2)
DEVICE_SESSION_ID = _ids("device-session", 1)[0]
UPLOAD_SESSION_ID = _ids("upload-session", 1)[0]

# Path parameter name -> ids that exist in the seeded database (a session id may be either kind).
KNOWN_PATH_IDS = {
    "tag_id": TAG_IDS,
    "speech_id": SPEECH_IDS,
    "session_id": [OWN_GAME_SESSION_ID, OTHERS_GAME_SESSION_ID, DEVICE_SESSION_ID],
}
KNOWN_BODY_IDS = {"upload_session_id": [UPLOAD_SESSION_ID]}


with override_settings(ALLOWED_HOSTS=[WSGI_HOST]):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(path_regex=r"^/api/v1/")


@schema.hook
def before_generate_path_parameters(context, strategy):
    names = [name for name in KNOWN_PATH_IDS if name in context.operation.path]
    if not names:
        return strategy
    known = st.fixed_dictionaries({name: st.sampled_from(KNOWN_PATH_IDS[name]) for name in names})
    return st.one_of(strategy, known)


@schema.hook
def before_generate_body(context, strategy):
    def with_known_ids(pair):
        body, use_known = pair
        if use_known and isinstance(body, dict):
            for name, ids in KNOWN_BODY_IDS.items():
                if name in body:
                    body = {**body, name: ids[0]}
        return body

    return st.tuples(strategy, st.booleans()).map(with_known_ids)


@pytest.fixture
def fuzz_world(transactional_db, settings):
    """A staff member's bearer headers, with content and history around them; rate limits off."""
    settings.RATE_LIMIT_ENABLED = False
    settings.RATELIMIT_ENABLE = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, WSGI_HOST]

    staff = StaffUserFactory()
    learner = UserFactory()
    tags = [TagFactory(id=tag_id) for tag_id in TAG_IDS]
    speeches = [
        SpeechFactory(id=speech_id, level=level, type=kind, tags=tags[: n % 3 + 1])
        for n, (speech_id, level, kind) in enumerate(
            zip(SPEECH_IDS, ["A1", "A1", "B2", "C1"], ["question", "answer", "question", "answer"], strict=True))
    ]
    played_session(user=staff, id=OWN_GAME_SESSION_ID, answers=[
        (speeches[0], UserResponse.CORRECT, 88.5), (speeches[1], UserResponse.INCORRECT, 41.0),
    ])
    played_session(user=learner, id=OTHERS_GAME_SESSION_ID, answers=[(speeches[2], UserResponse.SKIPPED, None)])
    DeviceSession.objects.create(id=DEVICE_SESSION_ID, user=staff, user_agent="Fuzz phone",
                                 expires_at=timezone.now() + timedelta(days=7))
    UploadSession.objects.create(id=UPLOAD_SESSION_ID, created_by=staff,
                                 expires_at=timezone.now() + timedelta(hours=1))
    tokens = start_session(user=staff)
    return {"Authorization": f"Bearer {tokens.access_token}"}


@schema.parametrize()
@hypothesis_settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                            HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_every_response_is_documented_and_no_server_error(case, fuzz_world, fuzz_tally):
    response = case.call(headers=fuzz_world)
    fuzz_tally(case, response)
    case.validate_response(response, checks=CHECKS, headers=fuzz_world)
