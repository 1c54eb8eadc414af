"""Client-visible outcomes of the content services (turned into the error shape by config)."""

from core.exceptions import Conflict, InvalidInput, NotFound, PayloadTooLarge, ServiceUnavailable


class SpeechNotFound(NotFound):
    code = "speech_not_found"
    detail = "Speech not found."


class TagNotFound(NotFound):
    code = "tag_not_found"
    detail = "Tag not found."


class TagNameTaken(Conflict):
    code = "tag_name_taken"
    detail = "A tag with this name already exists."


class TagInUse(Conflict):
    code = "tag_in_use"
    detail = "This tag is still used by speeches; remove it from them first."


class UnknownTags(InvalidInput):
    code = "unknown_tags"
    detail = "Some tags do not exist."


class UnsupportedAudioFormat(InvalidInput):
    code = "unsupported_audio_format"
    detail = "The audio must be an MP3, WAV or M4A file."


class AudioTooLarge(PayloadTooLarge):
    code = "audio_too_large"
    detail = "The audio file is too large."


class AudioNotInStorage(InvalidInput):
    code = "audio_not_found"
    detail = "No stored audio object has this key."


class AudioStorageUnavailable(ServiceUnavailable):
    code = "storage_unavailable"
    detail = "Audio storage is unavailable. Try again later."
