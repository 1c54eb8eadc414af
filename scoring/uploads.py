"""Bound a scoring upload before it is read: one audio file, in memory, never past its limit.

A learner's recording must never be written anywhere, and a request must not make a worker
hold more than one recording's worth of bytes. Django alone enforces neither: it spools files
over FILE_UPLOAD_MAX_MEMORY_SIZE to temporary files, does not count file parts against
DATA_UPLOAD_MAX_MEMORY_SIZE, and reads as many file parts as DATA_UPLOAD_MAX_NUMBER_FILES
allows (30 parts of 9.9 MB each were once buffered before anything refused them). So the
scoring view calls `prepare_audio_upload` before it touches request.data:

- the declared Content-Length decides first (413 past one recording plus the form fields,
  411 without one), so an oversized body is refused before any of it is read;
- then the multipart parse streams through `SingleAudioUploadHandler`, which keeps the file
  in memory, stops at the second file part's headers (400) and stops reading a file as soon
  as it passes MAX_UPLOAD_BYTES (413).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _
from rest_framework.request import Request

from core.audio import AudioTooLarge
from core.exceptions import RequestTooLarge
from scoring.exceptions import LengthRequired, TooManyFiles

# Room for everything but the recording: reference_text (500 characters, at most 2 000 bytes
# of UTF-8), language, part headers (a file name can be long) and boundaries. Far above what a
# real client sends, and small next to the recording, so it needs no setting of its own.
FORM_ALLOWANCE_BYTES = 64 * 1024


def max_request_bytes() -> int:
    return settings.MAX_UPLOAD_BYTES + FORM_ALLOWANCE_BYTES


def declared_length(meta: Mapping[str, Any]) -> int | None:
    """The request's Content-Length, or None when it is missing or not a length."""
    try:
        length = int(meta.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    return length if length >= 0 else None


class SingleAudioUploadHandler(FileUploadHandler):
    """Holds the request's one file in memory; refuses a second file and a file over the limit."""

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.files_started = 0

    def new_file(self, *args, **kwargs) -> None:
        self.files_started += 1
        if self.files_started > 1:
            # Raised from the second part's headers, before any of its bytes are kept. Not
            # StopUpload: Django would then answer with the first file as if nothing happened.
            raise TooManyFiles(_("Send exactly one file part: the recording, in the `audio` field."))
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if start + len(raw_data) > settings.MAX_UPLOAD_BYTES:
            # Not ensure_audio_size: it would give the bytes read so far as the size, and reading stops here.
            raise AudioTooLarge(_("The audio file is larger than {limit} bytes.").format(
                limit=settings.MAX_UPLOAD_BYTES))
        self.buffer.write(raw_data)
        return None  # consumed: no later handler sees the data

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer, field_name=self.field_name, name=self.file_name,
            content_type=self.content_type, size=file_size, charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def prepare_audio_upload(request: Request) -> None:
    """Refuse the request from its headers, or arm the streaming limits. Call before request.data."""
    length = declared_length(request.META)
    if length is None:
        # Django reads no body without a Content-Length (a chunked upload would arrive empty and
        # be answered "no audio"), so say what is actually wrong.
        raise LengthRequired()
    limit = max_request_bytes()
    if length > limit:
        raise RequestTooLarge(_("The request is {length} bytes; the limit is {limit} bytes (one recording of at "
                                "most {audio_limit} bytes and the form fields).").format(
            length=length, limit=limit, audio_limit=settings.MAX_UPLOAD_BYTES))
    request._request.upload_handlers = [SingleAudioUploadHandler(request._request)]
