"""Keep a scoring upload in memory, and stop reading it once it is too large.

Django spools uploads over FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file; a learner's
recording must never be written anywhere, so the scoring view reads its upload with this
handler instead: everything stays in memory, and reading stops (413) as soon as the file
passes MAX_UPLOAD_BYTES, so an oversized upload is never buffered whole.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from core.audio import AudioTooLarge


class InMemoryLimitedUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if start + len(raw_data) > settings.MAX_UPLOAD_BYTES:
            # Not ensure_audio_size: it would give the bytes read so far as the size, and reading stops here.
            raise AudioTooLarge(f"The audio file is larger than {settings.MAX_UPLOAD_BYTES} bytes.")
        self.buffer.write(raw_data)
        return None  # consumed: no later handler sees the data

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer, field_name=self.field_name, name=self.file_name,
            content_type=self.content_type, size=file_size, charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def keep_uploads_in_memory(request) -> None:
    """Call before touching request.data/FILES of a DRF request."""
    request._request.upload_handlers = [InMemoryLimitedUploadHandler(request._request)]
