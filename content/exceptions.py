"""Client-visible outcomes of the content services (turned into the error shape by core).

Audio refusals are core's (`core.audio.AudioTooLarge`, `UnsupportedAudioFormat`) and a
storage outage is `core.storage.StorageUnavailable`: one class each for every app.
"""

from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, InvalidInput, NotFound, PayloadTooLarge, Unprocessable


class SpeechNotFound(NotFound):
    code = "speech_not_found"
    detail = _("Speech not found.")


class TagNotFound(NotFound):
    code = "tag_not_found"
    detail = _("Tag not found.")


class TagNameTaken(Conflict):
    code = "tag_name_taken"
    detail = _("A tag with this name already exists.")


class TagInUse(Conflict):
    code = "tag_in_use"
    detail = _("This tag is still used by speeches; remove it from them first.")


class UnknownTags(InvalidInput):
    code = "unknown_tags"
    detail = _("Some tags do not exist.")


class AudioNotInStorage(InvalidInput):
    code = "audio_not_found"
    detail = _("No stored audio object has this key.")


# --- the speech CSV (import and export format) ---------------------------------------------

class InvalidCsv(InvalidInput):
    code = "invalid_csv"
    detail = _("The file is not a valid UTF-8 CSV.")


class CsvTooLarge(PayloadTooLarge):
    code = "csv_too_large"
    detail = _("The CSV file is larger than the limit.")


class CsvRowsInvalid(Unprocessable):
    code = "csv_rows_invalid"
    detail = _("Some CSV rows are invalid; nothing was imported.")
