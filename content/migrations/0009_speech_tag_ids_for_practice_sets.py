"""Each speech's tag ids beside its level and type, so a practice-set id list is one index-only scan.

The list of a filter (level AND type AND any of the tags) was a semi-join of the level's and
type's speeches with every link of the tags, hashed across all levels: at a million speeches
140-500 ms on all the machine's CPUs, while the first requests after a content change waited
on the same CPUs. Reading `tag_ids && ARRAY[...]` from an index on (level, type, id) that
includes the ids takes about 30 ms on one.

PostgreSQL only, and not a model field (SQLite has no arrays): statement-level triggers on the
links keep the column equal to them whatever writes them (ORM, bulk import, admin, seeding),
one UPDATE per statement; the bulk import's COPY writes the copy with the row (content.services.bulk).
The backfill rewrites every speech row once.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE content_speech ADD COLUMN IF NOT EXISTS tag_ids uuid[] NOT NULL DEFAULT '{}'",
    """
    CREATE OR REPLACE FUNCTION content_speech_refresh_tag_ids(speech_ids uuid[]) RETURNS void
    LANGUAGE sql AS $$
        -- Rows whose copy is right already (a COPY import writes it with the row) are left alone.
        UPDATE content_speech AS speech SET tag_ids = fresh.tag_ids
        FROM (SELECT id, coalesce((SELECT array_agg(link.tag_id ORDER BY link.tag_id) FROM content_speech_tags AS link
                                   WHERE link.speech_id = changed.id), '{}') AS tag_ids
              FROM content_speech AS changed WHERE changed.id = ANY(speech_ids)) AS fresh
        WHERE speech.id = fresh.id AND speech.tag_ids IS DISTINCT FROM fresh.tag_ids
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION content_speech_tags_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM content_speech_refresh_tag_ids(ARRAY(SELECT DISTINCT speech_id FROM new_links));
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM content_speech_refresh_tag_ids(ARRAY(SELECT DISTINCT speech_id FROM old_links));
        ELSE
            PERFORM content_speech_refresh_tag_ids(ARRAY(SELECT speech_id FROM old_links
                                                         UNION SELECT speech_id FROM new_links));
        END IF;
        RETURN NULL;
    END
    $$
    """,
    # A trigger with transition tables serves one event, hence three.
    """
    CREATE OR REPLACE TRIGGER content_speech_tags_inserted AFTER INSERT ON content_speech_tags
    REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION content_speech_tags_changed()
    """,
    """
    CREATE OR REPLACE TRIGGER content_speech_tags_deleted AFTER DELETE ON content_speech_tags
    REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT EXECUTE FUNCTION content_speech_tags_changed()
    """,
    """
    CREATE OR REPLACE TRIGGER content_speech_tags_updated AFTER UPDATE ON content_speech_tags
    REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links
    FOR EACH STATEMENT EXECUTE FUNCTION content_speech_tags_changed()
    """,
    # After the triggers: a link written meanwhile is copied by either.
    """
    UPDATE content_speech AS speech SET tag_ids = links.tag_ids
    FROM (SELECT speech_id, array_agg(tag_id ORDER BY tag_id) AS tag_ids FROM content_speech_tags
          GROUP BY speech_id) AS links
    WHERE links.speech_id = speech.id
    """,
    """
    CREATE INDEX IF NOT EXISTS idx_speech_active_level_type_tags ON content_speech (level, type, id)
    INCLUDE (tag_ids) WHERE archived_at IS NULL
    """,
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS content_speech_tags_inserted ON content_speech_tags",
    "DROP TRIGGER IF EXISTS content_speech_tags_deleted ON content_speech_tags",
    "DROP TRIGGER IF EXISTS content_speech_tags_updated ON content_speech_tags",
    "DROP FUNCTION IF EXISTS content_speech_tags_changed()",
    "DROP FUNCTION IF EXISTS content_speech_refresh_tag_ids(uuid[])",
    "DROP INDEX IF EXISTS idx_speech_active_level_type_tags",
    "ALTER TABLE content_speech DROP COLUMN IF EXISTS tag_ids",
]


# Statistics of the new column (the planner's estimate of `&&`, which picks the index) and a
# visibility map after rewriting every row (an index-only scan otherwise visits the table):
# at a million speeches the first build took 5 s without them. VACUUM runs outside a
# transaction, hence a non-atomic migration whose statements may each be run again.
AFTER = ["VACUUM (ANALYZE) content_speech"]


def _on_postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("content", "0008_speech_text_trigram_index")]

    operations = [migrations.RunPython(_on_postgres(FORWARD + AFTER), _on_postgres(BACKWARD))]
