"""Every write and business rule of the imports app (split by topic, re-exported here)."""

from imports.services.csv_import import (
    ImportPlan,
    ImportResult,
    import_csv,
    permanent_audio_key,
    plan_import,
    read_csv_upload,
)
from imports.services.directory import import_directory
from imports.services.export import export_csv_text, iter_export_lines
from imports.services.uploads import (
    UploadResult,
    cleanup_expired_sessions,
    clean_filename,
    delete_upload_session,
    upload_audio_files,
)
from imports.services.wizard import import_staged_csv, stage_csv

__all__ = [
    "ImportPlan", "ImportResult", "UploadResult", "clean_filename", "cleanup_expired_sessions",
    "delete_upload_session", "export_csv_text", "import_csv", "import_directory", "import_staged_csv",
    "iter_export_lines", "permanent_audio_key", "plan_import", "read_csv_upload", "stage_csv", "upload_audio_files",
]
