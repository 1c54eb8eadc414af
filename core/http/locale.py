"""The API speaks the caller's language; the admin the one its screens are written in.

Under /api/ the language comes from Accept-Language (one of LANGUAGES, else LANGUAGE_CODE),
so error `detail` texts and the mails a request sends are translated while the machine
`code` stays the same. Everything else (the admin, its wizard) is in LANGUAGE_CODE: Django's
own admin chrome has catalogues ours lack, and a half-translated admin helps nobody.
"""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

API_PREFIX = "/api/"


class ApiLocaleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        is_api = request.path_info.startswith(API_PREFIX)
        language = translation.get_language_from_request(request) if is_api else settings.LANGUAGE_CODE
        with translation.override(language):
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
        if is_api:
            patch_vary_headers(response, ("Accept-Language",))
            response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
