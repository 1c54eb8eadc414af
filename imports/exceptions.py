"""What can go wrong in an import, as the API, the admin wizard and the command report it.

A bad CSV is content's (`content.exceptions.InvalidCsv`, `CsvTooLarge`, `CsvRowsInvalid`: the
format is content's), a storage outage core's (`core.storage.StorageUnavailable`).
"""

from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, InvalidInput, NotFound, PayloadTooLarge


class UploadSessionNotFound(NotFound):
    code = "upload_session_not_found"
    detail = _("Upload session not found or expired.")


class UploadSessionClosed(Conflict):
    code = "upload_session_imported"
    detail = _("This upload session has already been imported; upload the audio files again in a new session.")


class NoFilesUploaded(InvalidInput):
    code = "no_files"
    detail = _("Send at least one audio file in the `files` field.")


class InvalidAudioFile(InvalidInput):
    code = "invalid_audio_file"
    detail = _("Only MP3, WAV and M4A audio files are accepted.")


class AudioFileTooLarge(PayloadTooLarge):
    code = "audio_file_too_large"
    detail = _("An audio file is larger than the limit.")


class ImportAlreadyRunning(Conflict):
    code = "import_running"
    detail = _("This upload session is being imported already; follow that import's progress.")
