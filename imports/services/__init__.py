"""Every write and business rule of the imports app (split by topic, re-exported here)."""

from content.services import iter_row_error_report
from imports.services.csv_import import ImportResult, import_csv, read_csv_upload
from imports.services.csv_jobs import IMPORT_JOB_KIND, start_csv_import
from imports.services.directory import import_directory
from imports.services.uploads import (
    UploadResult,
    clean_filename,
    cleanup_expired_sessions,
    delete_upload_session,
    open_upload_session,
    upload_audio_files,
)
from imports.services.wizard import row_error_report, stage_csv, start_staged_import

__all__ = [
    "IMPORT_JOB_KIND", "ImportResult", "UploadResult", "clean_filename", "cleanup_expired_sessions",
    "delete_upload_session", "import_csv", "import_directory", "iter_row_error_report", "open_upload_session",
    "read_csv_upload", "row_error_report", "stage_csv", "start_csv_import", "start_staged_import", "upload_audio_files",
]
