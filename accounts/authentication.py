from django.utils.translation import gettext as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

from accounts.services.tokens import is_session_revoked, session_id_of


class SessionJWTAuthentication(JWTAuthentication):
    """simplejwt's Bearer authentication, refusing access tokens of signed-out devices."""

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        session_id = session_id_of(validated_token)
        if session_id and is_session_revoked(session_id):
            raise InvalidToken(_("This session has been signed out."))
        return user


class SessionJWTScheme(SimpleJWTScheme):
    """Documents SessionJWTAuthentication in /api/docs/ as the Bearer JWT scheme it is."""

    target_class = SessionJWTAuthentication
    name = "jwtAuth"
