"""A speech's audio: accepting an upload, storing it under the content key layout, tidying up."""

from django.core.files import File

from content.exceptions import AudioNotInStorage
from content.models import Level, Speech
from content.rules import batch_audio_prefixes, speech_audio_key
from core import storage
from core.audio import EXTENSIONS, AudioFormat, UnsupportedAudioFormat, accept_audio
from core.exceptions import InvalidInput

AUDIO_KEY_MAX_LENGTH = Speech._meta.get_field("audio").max_length


def validate_audio_upload(*, audio_file: File) -> AudioFormat:
    """The format of an acceptable upload; core's AudioTooLarge (413) or UnsupportedAudioFormat (400).

    The editor API has always named the refused field, so the 400 says `errors.audio`.
    """
    try:
        return accept_audio(audio_file)
    except UnsupportedAudioFormat as exc:
        raise UnsupportedAudioFormat(errors={"audio": [exc.detail]}) from exc


def store_audio_upload(*, audio_file: File, level: str) -> str:
    """Check and store an uploaded file; returns its storage key."""
    audio_format = validate_audio_upload(audio_file=audio_file)
    # Our own name: the client's file name is neither trusted nor needed.
    return storage.save(speech_audio_key(level, f"speech{EXTENSIONS[audio_format]}"), audio_file)


def existing_audio_key(key: str) -> str:
    """`key` when it names a stored object a speech may point at, else a 400 naming `audio_key`."""
    key = (key or "").strip()
    if (not key or key.startswith("/") or "\\" in key or ".." in key.split("/")
            or len(key) > AUDIO_KEY_MAX_LENGTH):
        raise InvalidInput("Invalid audio key.", code="invalid_audio_key",
                           errors={"audio_key": ["Give the storage key of an uploaded audio object."]})
    if not storage.exists(key):
        raise AudioNotInStorage(errors={"audio_key": [f"No stored audio object has the key {key!r}."]})
    return key


def delete_if_unreferenced(key: str) -> None:
    """Delete a stored object no speech points at any more (an orphan is harmless if this fails)."""
    if key and not Speech.objects.filter(audio=key).exists():
        storage.delete_quietly([key])


def delete_batch_audio(*, batch: str) -> int:
    """Delete what is stored in the folders of a `create_speeches` batch; returns how many objects.

    For a caller that knows the batch never committed (an import retried after it was
    killed, the cleanup of a session never imported): its copies are nobody's audio. An
    object a speech points at all the same (an editor may set any stored key as a speech's
    audio) is kept. `StorageUnavailable` if the storage cannot list or delete them all.
    """
    deleted = 0
    for prefix in batch_audio_prefixes(batch, Level.values):
        def referenced(keys: list[str], prefix: str = prefix) -> set[str]:
            # Asked only when something is stored there: the first attempt of an import finds nothing.
            return set(Speech.objects.filter(audio__startswith=prefix).values_list("audio", flat=True))
        deleted += storage.delete_prefix(prefix, keep=referenced)
    return deleted
