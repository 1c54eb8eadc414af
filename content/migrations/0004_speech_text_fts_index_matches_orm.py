"""Rebuild the GIN full-text index with the exact expression Django's SearchVector emits.

`SearchVector("text", config="english")` compiles to
`to_tsvector('english'::regconfig, COALESCE(text, ''))`; PostgreSQL only uses an
expression index when the query's expression is the same, so the index must carry the
COALESCE too. PostgreSQL only; SQLite searches with a plain substring match.
"""

from django.db import migrations

OLD = "CREATE INDEX IF NOT EXISTS idx_speech_text_fts ON content_speech USING gin (to_tsvector('english', text))"
NEW = ("CREATE INDEX IF NOT EXISTS idx_speech_text_fts ON content_speech "
       "USING gin (to_tsvector('english'::regconfig, COALESCE(text, '')))")
DROP = "DROP INDEX IF EXISTS idx_speech_text_fts"


def _on_postgres(*statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("content", "0003_tag_name_ci")]

    operations = [migrations.RunPython(_on_postgres(DROP, NEW), _on_postgres(DROP, OLD))]
