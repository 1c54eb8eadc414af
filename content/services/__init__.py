"""Every write and business rule of the content app, by topic; callers import from here.

Each write records an audit event (the actor is passed in; IP and request id come from the
request context) and invalidates the content caches inside its transaction, so a failing
cache rolls the write back instead of leaving stale practice sets behind. Other apps (and
the seed) create speeches and tags only through these functions.
"""

from content.csv_format import is_xlsx
from content.services.audio import SweepResult, delete_batch_audio, sweep_unreferenced_audio, validate_audio_upload
from content.services.bulk import CreatedSpeeches, NewSpeech, SpeechUpdate, create_speeches, write_speeches
from content.services.caches import invalidate_content_caches
from content.services.csv_plan import SpeechCsvPlan, plan_speech_csv
from content.services.csv_report import iter_row_error_report
from content.services.speeches import (
    SpeechChanges,
    SpeechInput,
    add_tag_to_speeches,
    archive_speech,
    archive_speeches,
    create_speech,
    remove_tag_from_speeches,
    restore_speeches,
    set_level_of_speeches,
    update_speech,
)
from content.services.tags import UNCHANGED, create_tag, delete_tag, ensure_tags, update_tag

__all__ = [
    "UNCHANGED", "CreatedSpeeches", "NewSpeech", "SpeechChanges", "SpeechCsvPlan", "SpeechInput", "SweepResult",
    "add_tag_to_speeches", "archive_speech", "archive_speeches", "create_speech", "create_speeches", "create_tag",
    "SpeechUpdate", "delete_batch_audio", "delete_tag", "ensure_tags", "invalidate_content_caches",
    "is_xlsx", "iter_row_error_report", "plan_speech_csv", "remove_tag_from_speeches", "restore_speeches",
    "set_level_of_speeches", "sweep_unreferenced_audio", "update_speech", "update_tag", "validate_audio_upload",
    "write_speeches",
]
