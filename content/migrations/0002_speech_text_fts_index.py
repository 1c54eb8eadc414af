"""GIN full-text index on Speech.text; PostgreSQL only (SQLite falls back to substring search)."""

from django.db import migrations

CREATE = "CREATE INDEX IF NOT EXISTS idx_speech_text_fts ON content_speech USING gin (to_tsvector('english', text))"
DROP = "DROP INDEX IF EXISTS idx_speech_text_fts"


def _on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("content", "0001_initial")]

    operations = [migrations.RunPython(_on_postgres(CREATE), _on_postgres(DROP))]
