from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from game.models import GameSession
from tests.accounts.factories import StaffUserFactory, UserFactory
from tests.content.factories import SpeechFactory
from tests.game.factories import GameSessionFactory, played_session

pytestmark = pytest.mark.django_db

LIST = "/admin/game/gamesession/"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def viewer_client(client):
    viewer = StaffUserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_gamesession"))
    client.force_login(viewer)
    return client


@pytest.fixture
def session():
    learner = UserFactory(email="learner@example.com")
    return played_session(user=learner, answers=[
        (SpeechFactory(text="What is your name?"), "correct", 91.5),
        (SpeechFactory(text="Where do you live?"), "incorrect", 42.0),
    ])


def test_detail_shows_results_inline_read_only(admin_client, session):
    response = admin_client.get(f"{LIST}{session.id}/change/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "What is your name?" in html and "Where do you live?" in html
    assert "91.5" in html and "42.0" in html
    assert "incorrect" in html.lower()
    assert 'name="_save"' not in html
    assert "Delete" not in html


@pytest.mark.parametrize("path", ["add/", "{id}/delete/"])
def test_nobody_adds_or_deletes_sessions(admin_client, session, path):
    assert admin_client.get(LIST + path.format(id=session.id)).status_code == 403


def test_nobody_edits_sessions(admin_client, session):
    admin_client.post(f"{LIST}{session.id}/change/", {"mode": "listen_only", "correct_count": 2})

    session.refresh_from_db()
    assert session.correct_count == 1
    assert GameSession.objects.count() == 1


def test_bulk_delete_action_is_not_offered(admin_client, session):
    assert "delete_selected" not in admin_client.get(LIST).content.decode()


def test_staff_with_view_permission_sees_sessions_and_results(viewer_client, session):
    assert viewer_client.get(LIST).status_code == 200
    response = viewer_client.get(f"{LIST}{session.id}/change/")
    assert response.status_code == 200
    assert "Where do you live?" in response.content.decode()


def test_staff_without_permission_is_refused(client, session):
    client.force_login(StaffUserFactory())

    assert client.get(LIST).status_code == 403


def test_search_by_learner_email(admin_client, session):
    GameSessionFactory(user=UserFactory(email="someone@example.com"))

    html = admin_client.get(LIST, {"q": "learner@"}).content.decode()

    assert "learner@example.com" in html and "someone@example.com" not in html


def test_filters_by_mode_level_and_date(admin_client):
    owner = UserFactory(email="owner@example.com")
    GameSessionFactory(user=owner, mode="listen_only", level="A1", completed_at=timezone.now())
    GameSessionFactory(user=owner, mode="listen_and_repeat", level="A1", completed_at=timezone.now())
    GameSessionFactory(user=owner, mode="listen_only", level="B2",
                       completed_at=timezone.now() - timedelta(days=40))

    def count(query):
        response = admin_client.get(LIST, query)
        assert response.status_code == 200
        return response.context["cl"].result_count

    assert count({"mode__exact": "listen_only"}) == 2
    assert count({"level__exact": "A1"}) == 2
    assert count({"mode__exact": "listen_only", "level__exact": "A1"}) == 1
    since = (timezone.now() - timedelta(days=7)).isoformat()
    assert count({"completed_at__gte": since}) == 2


def test_list_page_queries_do_not_grow_with_rows(admin_client):
    def queries_for_list():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(LIST).status_code == 200
        return len(captured)

    GameSessionFactory.create_batch(2)
    few = queries_for_list()
    GameSessionFactory.create_batch(30)

    assert queries_for_list() == few
