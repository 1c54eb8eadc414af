"""A trigram index for substring search of speech text ("izza" finds "pizza").

Full-text search matches whole words and their forms; editors also type fragments. pg_trgm is
a trusted extension (PostgreSQL 13+): the database's owner may create it. The expression is
the one Django's `icontains` emits, `UPPER(text::text) LIKE UPPER(...)`, so the planner uses
the index. PostgreSQL only; SQLite searches with a plain substring match.
"""

from django.db import migrations

EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"
INDEX = ("CREATE INDEX IF NOT EXISTS idx_speech_text_trgm ON content_speech "
         "USING gin (UPPER(text::text) gin_trgm_ops)")
DROP = "DROP INDEX IF EXISTS idx_speech_text_trgm"


def _on_postgres(*statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("content", "0007_speech_verbose_name_plural")]

    operations = [migrations.RunPython(_on_postgres(EXTENSION, INDEX), _on_postgres(DROP))]
