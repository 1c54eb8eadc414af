"""Mailed codes and links: email verification, password reset, email change."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.apis.auth import NO_CONTENT, PublicApi
from accounts.serializers import (
    AcceptedSerializer,
    EmailChangeAcceptedSerializer,
    EmailChangeConfirmSerializer,
    EmailChangeRequestSerializer,
    EmailVerifySerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    UserProfileSerializer,
)
from core.api.openapi import error_response as error
from core.exceptions import NotAuthenticated

TOKEN_INVALID = error("token_invalid: the code or link is wrong, expired, already used or for another account")
MAIL_UNAVAILABLE = error("mail_unavailable: the mail could not be queued; try again")
VERIFICATION_SENT = _("A new verification code is on its way to your email address.")
# The same words whether or not an account uses the address.
RESET_SENT = _("If an account uses this address, a code to reset its password is on its way.")
CHANGE_SENT = _("A confirmation code is on its way to the new address.")


def accepted(detail, **extra) -> Response:
    return Response({"detail": str(detail), **extra}, status=status.HTTP_202_ACCEPTED)


def _signed_in(request, validated: dict):
    """A code belongs to the signed-in account; a link token names its account itself."""
    if validated.get("code") and not request.user.is_authenticated:
        raise NotAuthenticated()
    return request.user if request.user.is_authenticated else None


class EmailVerifyApi(APIView):
    permission_classes = [AllowAny]
    rate_limit_scope = "login"

    @extend_schema(tags=["auth"], summary="Verify the account's email with the mailed code or link",
                   description="`code` (six digits) needs the signed-in account; `token` (from the mail's link) "
                               "works signed out. Five wrong codes end the code; ask for a new one.",
                   request=EmailVerifySerializer,
                   responses={200: UserProfileSerializer, 400: TOKEN_INVALID, 401: error("Not signed in (with code)"),
                              409: error("email_already_verified")})
    def post(self, request):
        serializer = EmailVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = services.verify_email(user=_signed_in(request, data), code=data.get("code"),
                                     link_token=data.get("token"))
        return Response(UserProfileSerializer(user).data)


class EmailVerifyResendApi(APIView):
    permission_classes = [IsAuthenticated]
    rate_limit_scope = "account_mail"

    @extend_schema(tags=["auth"], summary="Send the verification mail again",
                   description="A new code and link; the earlier ones stop working.", request=None,
                   responses={202: AcceptedSerializer, 401: error("Not signed in"),
                              409: error("email_already_verified"), 503: MAIL_UNAVAILABLE})
    def post(self, request):
        services.queue_verification_mail(user=request.user, language=request.LANGUAGE_CODE)
        return accepted(VERIFICATION_SENT)


class PasswordResetApi(PublicApi):
    rate_limit_scope = "password_reset"

    @extend_schema(tags=["auth"], summary="Forgotten password: mail a reset code and link",
                   description="Always 202 with the same body, whether or not an account uses the address "
                               "(nothing is sent if none does). The code expires after "
                               "PASSWORD_RESET_TOKEN_MINUTES (30) minutes; a newer request replaces it.",
                   request=PasswordResetRequestSerializer,
                   responses={202: AcceptedSerializer, 400: error("invalid_input"), 503: MAIL_UNAVAILABLE})
    def post(self, request):
        serializer = PasswordResetRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.request_password_reset(email=serializer.validated_data["email"], language=request.LANGUAGE_CODE)
        return accepted(RESET_SENT)


class PasswordResetConfirmApi(PublicApi):
    rate_limit_scope = "login"

    @extend_schema(tags=["auth"], summary="Set a new password with the mailed code or link",
                   description="`email` + `code`, or `token` from the link. Every device of the account is "
                               "signed out; sign in with the new password.",
                   request=PasswordResetConfirmSerializer,
                   responses={204: NO_CONTENT, 400: error("invalid_input, weak_password or token_invalid")})
    def post(self, request):
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.reset_password(new_password=data["new_password"], email=data.get("email"), code=data.get("code"),
                                link_token=data.get("token"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailChangeApi(APIView):
    rate_limit_scope = "account_mail"

    @extend_schema(tags=["users"], summary="Change the email: mail a confirmation code to the new address",
                   description="Nothing changes until the new address confirms; the old address is told "
                               "afterwards. Accounts with a password must send it.",
                   request=EmailChangeRequestSerializer,
                   responses={202: EmailChangeAcceptedSerializer,
                              400: error("invalid_input, same_email or invalid_password"),
                              401: error("Not signed in"), 409: error("email_taken"),
                              429: error("account_locked"), 503: MAIL_UNAVAILABLE})
    def post(self, request):
        serializer = EmailChangeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        pending = services.request_email_change(user=request.user, new_email=data["new_email"],
                                                password=data.get("password"), language=request.LANGUAGE_CODE)
        return accepted(CHANGE_SENT, pending_email=pending)


class EmailChangeConfirmApi(APIView):
    permission_classes = [AllowAny]
    rate_limit_scope = "login"

    @extend_schema(tags=["users"], summary="Confirm the new email with the code or link mailed to it",
                   request=EmailChangeConfirmSerializer,
                   responses={200: UserProfileSerializer, 400: TOKEN_INVALID,
                              401: error("Not signed in (with code)"), 409: error("email_taken")})
    def post(self, request):
        serializer = EmailChangeConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = services.confirm_email_change(user=_signed_in(request, data), code=data.get("code"),
                                             link_token=data.get("token"), language=request.LANGUAGE_CODE)
        return Response(UserProfileSerializer(user).data)

