"""What editors change outside the admin's forms shows in the admin's "Recent actions", once."""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry

from content.models import Speech
from content.services import NewSpeech, create_speeches
from tests.content.factories import SpeechFactory, TagFactory

pytestmark = pytest.mark.django_db


def entries():
    return list(LogEntry.objects.order_by("action_time").values_list("action_flag", "object_repr", "change_message"))


def test_an_edit_through_the_editor_api_is_in_recent_actions(staff_client, staff_user, client):
    speech = SpeechFactory(text="Where is the station?")

    response = staff_client.put(f"/api/v1/admin/speeches/{speech.id}", {"text": "Where is the bus stop?"},
                                format="json")

    assert response.status_code == 200
    entry = LogEntry.objects.get()
    assert (entry.user_id, entry.action_flag, entry.object_id) == (staff_user.pk, CHANGE, str(speech.id))
    assert entry.change_message == "Changed text."
    client.force_login(staff_user)  # "Recent actions" lists the signed-in editor's own
    assert "Where is the bus stop?" in client.get("/admin/").content.decode()


def test_an_edit_in_the_admin_form_is_logged_once(admin_client):
    speech = SpeechFactory(text="Where is the station?", level="A1", type="question")

    response = admin_client.post(f"/admin/content/speech/{speech.id}/change/",
                                 {"text": "Where is the old station?", "level": "A1", "type": "question"})

    assert response.status_code == 302
    assert entries() == [(CHANGE, "Where is the old station?", "Changed text.")]


def test_a_bulk_action_is_one_entry_for_the_batch(admin_client):
    speeches = SpeechFactory.create_batch(3)

    admin_client.post("/admin/content/speech/", {"action": "archive", "_selected_action": [s.pk for s in speeches]})

    assert entries() == [(CHANGE, "3 speeches", "Archived.")]


def test_a_bulk_creation_by_an_editor_is_logged(staff_user):
    stored = SpeechFactory().audio.name
    LogEntry.objects.all().delete()

    create_speeches(items=[NewSpeech(text=f"Sentence {n}.", level="A1", type="answer", audio_key=stored)
                           for n in range(2)], copy_audio=False, actor=staff_user, source="import:api")

    assert entries() == [(ADDITION, "2 speeches", "Created 2 speeches (import:api).")]


def test_tags_created_in_the_api_are_logged(staff_client):
    response = staff_client.post("/api/v1/admin/tags", {"name": "Travel"}, format="json")

    assert response.status_code == 201
    assert entries() == [(ADDITION, "Travel", "Added.")]


def test_changes_without_a_staff_actor_are_not_admin_history(auth_client):
    TagFactory(name="Food")
    create_speeches(items=[NewSpeech(text="Hi.", level="A1", type="answer", audio_key=SpeechFactory().audio.name)],
                    copy_audio=False, actor=None, source="seed")

    auth_client.put("/api/v1/users/me", {"name": "A learner"}, format="json")

    assert LogEntry.objects.count() == 0
    assert Speech.objects.count() == 2
