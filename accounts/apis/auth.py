from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.serializers import (
    AuthResponseSerializer,
    DeviceSessionSerializer,
    LoginSerializer,
    PasswordChangeSerializer,
    ProfileUpdateSerializer,
    RefreshTokenSerializer,
    RegisterSerializer,
    SocialLoginSerializer,
    TokenRefreshResponseSerializer,
    UserProfileSerializer,
)
from core.api.openapi import error_response as error
from core.api.pagination import page_pagination

NO_CONTENT = OpenApiResponse(description="Done; no body.")
INVALID_REFRESH = error("token_not_valid: the refresh token is invalid, expired, blacklisted or revoked")


def _token_response(body: dict, status_code: int = status.HTTP_200_OK) -> Response:
    """Tokens must not stay in a proxy's or the client's HTTP cache: Cache-Control: no-store."""
    response = Response(body, status=status_code)
    add_never_cache_headers(response)
    return response


def _auth_body(user, pair) -> dict:
    return {
        "user": UserProfileSerializer(user).data,
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "token_type": pair.token_type,
    }


class PublicApi(APIView):
    """Endpoints that take credentials in the body: a stale Authorization header must not block them."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


class RegisterApi(PublicApi):
    rate_limit_scope = "register"

    @extend_schema(tags=["auth"], summary="Register with email and password",
                   description="The account starts unverified (`email_verified: false`) and may practise at "
                               "once; a mail with a six-digit code and a link is sent in the language of "
                               "Accept-Language (POST /auth/email/verify).",
                   request=RegisterSerializer,
                   responses={201: AuthResponseSerializer,
                              400: error("invalid_input (bad email) or weak_password"),
                              409: error("email_taken")})
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, pair = services.register_user(**serializer.validated_data, language=request.LANGUAGE_CODE)
        return _token_response(_auth_body(user, pair), status.HTTP_201_CREATED)


class LoginApi(PublicApi):
    rate_limit_scope = "login"

    @extend_schema(tags=["auth"], summary="Sign in with email and password", request=LoginSerializer,
                   responses={200: AuthResponseSerializer, 400: error("invalid_input"),
                              401: error("invalid_credentials"), 403: error("account_disabled"),
                              429: error("account_locked: too many failures for this email; see Retry-After")})
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, pair = services.login(**serializer.validated_data)
        return _token_response(_auth_body(user, pair))


class SocialLoginApi(PublicApi):
    rate_limit_scope = "login"

    @extend_schema(tags=["auth"], summary="Sign in or up with Google, Apple or Facebook",
                   description="The server verifies the provider token itself (ID token signature, issuer, "
                               "audience, expiry and verified email; Facebook through the Graph API). An "
                               "account with the same verified email is signed in; otherwise one is created.",
                   request=SocialLoginSerializer,
                   responses={200: AuthResponseSerializer,
                              400: error("invalid_input, provider_not_configured, social_email_missing or "
                                         "nonce_required (Apple)"),
                              401: error("social_token_invalid or email_not_verified"),
                              403: error("account_disabled"),
                              503: error("provider_unavailable")})
    def post(self, request):
        serializer = SocialLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, pair, _ = services.social_sign_in(**serializer.validated_data)
        return _token_response(_auth_body(user, pair))


class RefreshApi(PublicApi):
    rate_limit_scope = "default"

    @extend_schema(tags=["auth"], summary="Exchange a refresh token for a new token pair",
                   description="Refresh tokens rotate: the one sent is blacklisted and must be replaced by "
                               "the returned one.",
                   request=RefreshTokenSerializer,
                   responses={200: TokenRefreshResponseSerializer, 400: error("invalid_input"), 401: INVALID_REFRESH})
    def post(self, request):
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.rotate_refresh_token(refresh_token=serializer.validated_data["refresh_token"])
        return _token_response({"access_token": pair.access_token, "refresh_token": pair.refresh_token,
                                "token_type": pair.token_type})


class LogoutApi(PublicApi):
    rate_limit_scope = "default"

    @extend_schema(tags=["auth"], summary="Sign this device out", request=RefreshTokenSerializer,
                   responses={204: NO_CONTENT, 400: error("invalid_input"), 401: INVALID_REFRESH})
    def post(self, request):
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.logout(refresh_token=serializer.validated_data["refresh_token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeApi(APIView):
    rate_limit_scope = "login"

    @extend_schema(tags=["auth"], summary="Change the password; other devices are signed out",
                   request=PasswordChangeSerializer,
                   responses={204: NO_CONTENT,
                              400: error("invalid_input, invalid_password, weak_password or password_not_set"),
                              401: error("Not signed in"), 429: error("account_locked")})
    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.change_password(user=request.user, **serializer.validated_data,
                                 current_session_id=services.session_id_of(request.auth))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionListApi(ListAPIView):
    rate_limit_scope = "default"
    serializer_class = DeviceSessionSerializer
    pagination_class = page_pagination("sessions", default_limit=20, max_limit=100)

    def get_queryset(self):
        return selectors.active_sessions(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "current_session_id": services.session_id_of(self.request.auth)}

    @extend_schema(tags=["auth"], summary="Devices this account is signed in on",
                   responses={200: DeviceSessionSerializer(many=True), 400: error("invalid_input (page/limit)"),
                              401: error("Not signed in")})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SessionDetailApi(APIView):
    rate_limit_scope = "default"

    @extend_schema(tags=["auth"], summary="Sign one device out",
                   responses={204: NO_CONTENT, 401: error("Not signed in"), 404: error("session_not_found")})
    def delete(self, request, session_id):
        services.revoke_session(user=request.user, session_id=session_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    rate_limit_scope = "default"

    @extend_schema(tags=["users"], summary="Current user's profile",
                   responses={200: UserProfileSerializer, 401: error("Not signed in")})
    def get(self, request):
        return Response(UserProfileSerializer(request.user).data)

    @extend_schema(tags=["users"], summary="Update name, avatar URL or time zone",
                   request=ProfileUpdateSerializer,
                   description="`email` is accepted only unchanged; a new address is confirmed through "
                               "POST /users/me/email (400 email_change_requires_confirmation).",
                   responses={200: UserProfileSerializer,
                              400: error("invalid_input or email_change_requires_confirmation"),
                              401: error("Not signed in")})
    def put(self, request):
        serializer = ProfileUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.update_profile(user=request.user, changes=serializer.validated_data)
        return Response(UserProfileSerializer(user).data)

    @extend_schema(tags=["users"], summary="Delete the account and all its data",
                   description="Game history goes with it; every token of the account stops working.",
                   responses={204: NO_CONTENT, 401: error("Not signed in")})
    def delete(self, request):
        services.delete_account(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
