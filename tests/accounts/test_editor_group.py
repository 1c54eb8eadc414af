"""The "Content editor" group `migrate` seeds: exactly the content permissions, and what they open in the admin."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from accounts.services import CONTENT_EDITOR_GROUP, ensure_content_editor_group
from accounts.services.staff_groups import seed_staff_groups
from content import seeding
from content.demo.sentences import SENTENCES, clip_name
from content.models import Speech
from tests.accounts.factories import StaffUserFactory
from tests.content.factories import SpeechFactory, TagFactory

pytestmark = pytest.mark.django_db

# Written out, not read from the service: this is the decision the test pins down.
EDITOR_PERMISSIONS = {
    "content.view_speech", "content.add_speech", "content.change_speech",
    "content.view_tag", "content.add_tag", "content.change_tag", "content.delete_tag",
}
CLIP = (seeding.AUDIO_DIR / clip_name(SENTENCES[0].text)).read_bytes()


def permission_names(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


@pytest.fixture
def editor():
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name="Content editor"))
    return user


@pytest.fixture
def editor_client(editor) -> Client:
    client = Client()
    client.force_login(editor)
    return client


def test_migrate_leaves_the_group_with_exactly_the_editor_permissions():
    # No call here: the test database was made by `migrate`, whose post_migrate seeded it.
    assert permission_names(Group.objects.get(name="Content editor")) == EDITOR_PERMISSIONS


def test_refreshing_is_idempotent_and_puts_hand_made_changes_back():
    group = Group.objects.get(name=CONTENT_EDITOR_GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="accounts", codename="change_user"))
    group.permissions.remove(Permission.objects.get(content_type__app_label="content", codename="add_speech"))

    first, second = ensure_content_editor_group(), ensure_content_editor_group()

    assert first.pk == second.pk == group.pk
    assert Group.objects.filter(name=CONTENT_EDITOR_GROUP).count() == 1
    assert permission_names(second) == EDITOR_PERMISSIONS


def test_the_post_migrate_handler_creates_the_group_when_it_is_missing():
    Group.objects.filter(name=CONTENT_EDITOR_GROUP).delete()

    call_command("migrate", verbosity=0)  # nothing to apply; post_migrate still runs

    assert permission_names(Group.objects.get(name=CONTENT_EDITOR_GROUP)) == EDITOR_PERMISSIONS


def test_a_partially_migrated_state_is_left_alone():
    class NoModels:
        def get_model(self, app_label, model_name):
            raise LookupError(model_name)

    Group.objects.filter(name=CONTENT_EDITOR_GROUP).delete()

    seed_staff_groups(sender=None, apps=NoModels())

    assert not Group.objects.filter(name=CONTENT_EDITOR_GROUP).exists()


def test_the_seed_uses_the_same_group_name():
    # content may not import accounts, so the seed spells the name itself.
    assert seeding.CONTENT_EDITOR_GROUP == CONTENT_EDITOR_GROUP


def test_an_editor_lists_adds_and_changes_speeches(editor_client, editor):
    food = TagFactory(name="Food")

    assert editor_client.get("/admin/content/speech/").status_code == 200
    added = editor_client.post("/admin/content/speech/add/", {
        "text": "What is your name?", "level": "A1", "type": "question", "tag_choices": [str(food.pk)],
        "audio_upload": SimpleUploadedFile("name.mp3", CLIP, content_type="audio/mpeg"),
    })
    assert added.status_code == 302
    speech = Speech.objects.get()
    changed = editor_client.post(f"/admin/content/speech/{speech.pk}/change/", {
        "text": "What is your surname?", "level": "A2", "type": "question", "tag_choices": [str(food.pk)]})
    assert changed.status_code == 302
    speech.refresh_from_db()
    assert (speech.text, speech.level) == ("What is your surname?", "A2")


def test_an_editor_manages_tags(editor_client):
    assert editor_client.get("/admin/content/tag/").status_code == 200
    assert editor_client.post("/admin/content/tag/add/", {"name": "Weather", "category": "topic"}).status_code == 302


def test_an_editor_opens_the_import_wizard_upload_sessions_and_the_dashboard(editor_client):
    SpeechFactory()

    assert editor_client.get("/admin/imports/uploadsession/import/").status_code == 200
    assert editor_client.get("/admin/imports/uploadsession/").status_code == 200
    assert editor_client.get("/admin/content/speech/dashboard/").status_code == 200


def test_an_editor_cannot_open_users_sessions_or_the_audit_log(editor_client):
    for url in ("/admin/accounts/user/", "/admin/accounts/user/add/", "/admin/audit/auditlog/",
                "/admin/auth/group/", "/admin/game/gamesession/"):
        assert editor_client.get(url).status_code == 403, url


def test_the_admin_index_shows_an_editor_content_and_imports_only(editor_client):
    html = editor_client.get("/admin/").content.decode()

    assert 'href="/admin/content/speech/"' in html and 'href="/admin/content/tag/"' in html
    assert 'href="/admin/imports/uploadsession/"' in html
    for hidden in ("/admin/accounts/", "/admin/audit/", "/admin/auth/", "/admin/game/", "/admin/jobs/"):
        assert f'href="{hidden}' not in html, hidden
