"""The audit log moves from accounts to its own app: same table, same rows, no SQL.

The state is created here and deleted from accounts (accounts 0003); the content type is
renamed so permissions already granted on the audit log (e.g. to a group) still apply.
"""

import uuid

import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    if not content_types.objects.filter(app_label="audit", model="auditlog").exists():
        content_types.objects.filter(app_label="accounts", model="auditlog").update(app_label="audit")


def move_content_type_back(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    if not content_types.objects.filter(app_label="accounts", model="auditlog").exists():
        content_types.objects.filter(app_label="audit", model="auditlog").update(app_label="accounts")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0002_audit_log_and_device_sessions"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditLog",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ("actor_email", models.CharField(blank=True, default="", max_length=254)),
                        ("action", models.CharField(max_length=64)),
                        ("object_type", models.CharField(blank=True, default="", max_length=64)),
                        ("object_id", models.CharField(blank=True, default="", max_length=64)),
                        ("changes", models.JSONField(blank=True, default=dict,
                                                     encoder=django.core.serializers.json.DjangoJSONEncoder)),
                        ("ip", models.GenericIPAddressField(blank=True, null=True)),
                        ("request_id", models.CharField(blank=True, default="", max_length=128)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("actor", models.ForeignKey(blank=True, null=True,
                                                    on_delete=django.db.models.deletion.SET_NULL,
                                                    related_name="audit_events", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "accounts_auditlog",
                        "ordering": ["-created_at"],
                        "indexes": [
                            models.Index(fields=["created_at"], name="idx_audit_created_at"),
                            models.Index(fields=["action"], name="idx_audit_action"),
                            models.Index(fields=["object_type", "object_id"], name="idx_audit_object"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
