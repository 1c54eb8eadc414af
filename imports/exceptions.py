"""What can go wrong in an import, as the API, the admin wizard and the command report it."""

from core.exceptions import Conflict, InvalidInput, NotFound, PayloadTooLarge, ServiceUnavailable, Unprocessable


class UploadSessionNotFound(NotFound):
    code = "upload_session_not_found"
    detail = "Upload session not found or expired."


class UploadSessionClosed(Conflict):
    code = "upload_session_imported"
    detail = "This upload session has already been imported; upload the audio files again in a new session."


class NoFilesUploaded(InvalidInput):
    code = "no_files"
    detail = "Send at least one audio file in the `files` field."


class InvalidAudioFile(InvalidInput):
    code = "invalid_audio_file"
    detail = "Only MP3, WAV and M4A audio files are accepted."


class AudioFileTooLarge(PayloadTooLarge):
    code = "audio_file_too_large"
    detail = "An audio file is larger than the limit."


class InvalidCsv(InvalidInput):
    code = "invalid_csv"
    detail = "The file is not a valid UTF-8 CSV."


class CsvTooLarge(PayloadTooLarge):
    code = "csv_too_large"
    detail = "The CSV file is larger than the limit."


class CsvRowsInvalid(Unprocessable):
    code = "csv_rows_invalid"
    detail = "Some CSV rows are invalid; nothing was imported."


class StorageUnavailable(ServiceUnavailable):
    code = "storage_unavailable"
    detail = "The audio storage failed; nothing was imported. Try again later."
