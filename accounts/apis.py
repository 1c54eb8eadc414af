from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.schema import error
from accounts.serializers import ProfileUpdateSerializer, UserProfileSerializer


class MeApi(APIView):
    rate_limit_scope = "default"

    @extend_schema(tags=["users"], summary="Current user's profile",
                   responses={200: UserProfileSerializer, 401: error("Not signed in")})
    def get(self, request):
        return Response(UserProfileSerializer(request.user).data)

    @extend_schema(tags=["users"], summary="Update name, avatar URL or time zone",
                   request=ProfileUpdateSerializer,
                   responses={200: UserProfileSerializer, 400: error("Invalid field"), 401: error("Not signed in")})
    def put(self, request):
        serializer = ProfileUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.update_profile(user=request.user, changes=serializer.validated_data, request=request)
        return Response(UserProfileSerializer(user).data)
