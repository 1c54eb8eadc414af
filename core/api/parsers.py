"""Request body parsers: DRF's, refusing hostile bodies with a 400 instead of crashing.

Oversized bodies never get this far: Django compares Content-Length with
DATA_UPLOAD_MAX_MEMORY_SIZE before reading (RequestDataTooBig, answered 413 by
core.exceptions), as it does for forms with too many fields or files.
"""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            # json.loads recurses per nesting level: 100 000 brackets exhaust the stack.
            raise ParseError(_("JSON parse error - the body is nested too deeply.")) from exc
