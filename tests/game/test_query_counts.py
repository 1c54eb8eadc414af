"""Every learner endpoint costs the same number of queries however long the learner's history and however
large the catalogue, the league or the friends list: measured before and after the world grows."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from community.services import add_friend_by_code, invite_code_for
from tests.accounts.factories import UserFactory
from tests.community.helpers import client_of, earn
from tests.content.factories import SpeechFactory, TagFactory
from tests.courses.factories import build_course
from tests.game.payloads import session_body
from tests.rewards.factories import AchievementFactory

pytestmark = pytest.mark.django_db

SAVE = ("post", "/api/v1/game/sessions", None)
ENDPOINTS = [
    ("get", "/api/v1/users/me", None),
    ("get", "/api/v1/users/me/progress", None),
    ("get", "/api/v1/game/sessions", None),
    ("get", "/api/v1/game/sessions/{session}", None),
    ("post", "/api/v1/game/speeches/random", {"level": "A1", "type": "question", "tags": ["{tag}"], "limit": 10}),
    ("post", "/api/v1/game/speeches/review", {"limit": 10}),
    ("get", "/api/v1/home", None),
    ("get", "/api/v1/users/me/achievements", None),
    ("get", "/api/v1/users/me/xp", None),
    ("get", "/api/v1/courses", None),
    ("get", "/api/v1/courses/{course}", None),
    ("post", "/api/v1/lessons/{lesson}/start", None),
    ("get", "/api/v1/leagues/current", None),
    ("get", "/api/v1/friends", None),
    ("get", "/api/v1/friends/leaderboard", None),
    ("get", "/api/v1/tags", None),
    SAVE,
]


class World:
    """A learner among content, a course, friends and league mates, that can grow."""

    def __init__(self):
        self.rng = random.Random(3)
        self.tag = TagFactory()
        self.learner = UserFactory()
        self.speeches: list = []
        self.course, self.lessons = build_course(units=[[3, 3]])
        AchievementFactory(kind="sessions", threshold=1000)
        self.session_id = None

    def grow(self, *, speeches: int, sessions: int, friends: int, mates: int) -> None:
        self.speeches += [SpeechFactory(tags=[self.tag]) for _ in range(speeches)]
        client = client_of(self.learner)
        for n in range(sessions):
            chosen = self.rng.sample(self.speeches, 5)
            body = session_body(chosen, [self.rng.choice(["correct", "incorrect"]) for _ in chosen],
                                mode="listen_and_repeat", scores=[self.rng.uniform(30, 99) for _ in chosen],
                                completed_at=timezone.now() - timedelta(days=n % 20, minutes=5))
            response = client.post("/api/v1/game/sessions", body, format="json")
            assert response.status_code == 201
            self.session_id = self.session_id or response.json()["session_id"]
        for _ in range(friends):
            friend = UserFactory()
            earn(friend, self.rng.randint(1, 50))
            add_friend_by_code(user=self.learner, invite_code=invite_code_for(user=friend))
        for _ in range(mates):
            earn(UserFactory(), self.rng.randint(1, 50))

    def request(self, method: str, path: str, body):
        path = path.format(session=self.session_id, course=self.course.id, lesson=self.lessons[0].id)
        client = client_of(self.learner)
        if (method, path, body) == SAVE:
            chosen = self.speeches[:5]  # practised before in both worlds
            return client.post(path, session_body(chosen, scores=[80.0] * 5, mode="listen_and_repeat"),
                               format="json")
        if body and "tags" in body:
            body = {**body, "tags": [str(self.tag.id)]}
        return getattr(client, method)(path, body, format="json") if body else getattr(client, method)(path)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=[path for _, path, _ in ENDPOINTS])
def test_the_query_count_does_not_grow_with_history_catalogue_or_company(
        method, path, body, django_assert_max_num_queries):
    world = World()
    world.grow(speeches=12, sessions=2, friends=1, mates=1)
    counts = []
    for _ in range(2):
        assert world.request(method, path, body).status_code in (200, 201)  # caches warm
        with django_assert_max_num_queries(40) as measured:
            assert world.request(method, path, body).status_code in (200, 201)
        counts.append(len(measured.captured_queries))
        world.grow(speeches=60, sessions=10, friends=5, mates=6)
    if path.endswith("/review"):
        assert counts[1] <= counts[0], counts  # once enough sentences are due, the filler query is not needed
    else:
        assert counts[1] == counts[0], counts
