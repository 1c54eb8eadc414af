"""Byte ranges of files the app serves itself (audio in local storage).

iOS players (AVPlayer) will not play a file whose server ignores `Range`. One range per
request is what players ask for; a header this module cannot honour (several ranges, a
unit other than bytes, a malformed one) is ignored and the whole file sent, as RFC 9110
allows, and a range wholly past the end is 416 with the size in `Content-Range`.
"""

import re
from collections.abc import Iterator

from django.core.files import File
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse

CHUNK_BYTES = 64 * 1024
_SINGLE_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


class Unsatisfiable(Exception):
    pass


def requested_range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte of a one-range header; None to send everything.

    `Unsatisfiable` when the range starts at or past the end of the file.
    """
    match = _SINGLE_RANGE.match(header or "")
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # "bytes=-500": the last 500 bytes
        if int(last) == 0:
            raise Unsatisfiable()
        return max(0, size - int(last)), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if last != "" and int(last) < start:
        return None  # invalid: ignored
    if start >= size:
        raise Unsatisfiable()
    return start, end


def _read(handle: File, start: int, length: int) -> Iterator[bytes]:
    try:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(CHUNK_BYTES, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()


def file_response(request: HttpRequest, handle: File, content_type: str) -> HttpResponse:
    """The file as 200, or the part `Range` asks for as 206; either says it accepts ranges."""
    size = handle.size
    header = request.headers.get("Range", "")
    # With If-Range the client asks "only if unchanged": without validators to compare, send it all.
    try:
        part = None if request.headers.get("If-Range") else requested_range(header, size)
    except Unsatisfiable:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response
    if part is None:
        response = FileResponse(handle, content_type=content_type)
    else:
        start, end = part
        response = StreamingHttpResponse(_read(handle, start, end - start + 1), status=206,
                                         content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    return response
