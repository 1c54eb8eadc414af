from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from community import selectors, services
from community.selectors.friends import FRIENDS_XP_REFRESH_SECONDS
from community.selectors.people import public_profile
from community.serializers import (
    AddFriendSerializer,
    FriendsLeaderboardSerializer,
    FriendsOverviewSerializer,
    LeagueParticipationSerializer,
    LeagueTableSerializer,
    NewFriendSerializer,
    SentRequestSerializer,
)
from core.api.openapi import error_response
from core.api.representation import represent

LEAGUES, FRIENDS = ["leagues"], ["friends"]
UNAUTHENTICATED = {401: error_response("Missing or invalid access token.")}
LEAGUE_RULES = (
    f"League weeks run Monday 00:00 to Monday 00:00 in {settings.LEAGUE_TIME_ZONE}. Your first XP of a week seats "
    f"you in a league of up to {settings.LEAGUE_SIZE} learners of your tier; members rank by the week's XP (equal XP "
    f"in a fixed order). When the week closes the top {settings.LEAGUE_PROMOTE} go up a tier and the bottom "
    f"{settings.LEAGUE_DEMOTE} go down (proportionally fewer in a smaller league; nobody above the top tier or "
    "below the bottom one). XP of sessions saved after their week ended counts for rewards but not for the league. "
    "Other learners are shown by display name and avatar only."
)


class CurrentLeagueApi(APIView):
    rate_limit_scope = "history"

    @extend_schema(tags=LEAGUES, summary="This week's league table", description=LEAGUE_RULES,
                   responses={200: LeagueTableSerializer, **UNAUTHENTICATED})
    def get(self, request):
        return Response(represent(LeagueTableSerializer, selectors.league_table(user=request.user)))


class LeagueParticipationApi(APIView):
    rate_limit_scope = "default"

    @extend_schema(
        tags=LEAGUES, summary="Take part in leagues, or opt out",
        description="Opting out leaves this week's league at once and keeps you out of leagues; your XP still "
                    "shows on your friends' leaderboard. Opting back in seats you with your next XP.",
        request=LeagueParticipationSerializer,
        responses={200: LeagueParticipationSerializer, 400: error_response("opted_out missing or not a boolean."),
                   **UNAUTHENTICATED},
    )
    def put(self, request):
        payload = LeagueParticipationSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        opted_out = services.set_leagues_opt_out(user=request.user, opted_out=payload.validated_data["opted_out"])
        return Response(LeagueParticipationSerializer({"opted_out": opted_out}).data)


class FriendsApi(APIView):
    rate_limit_scope = "default"

    @extend_schema(tags=FRIENDS, summary="Your friends, requests, and invite code",
                   description=f"Up to {settings.FRIENDS_MAX} friends, by name; requests waiting for your answer; "
                               "requests you sent that are not answered yet.",
                   responses={200: FriendsOverviewSerializer, **UNAUTHENTICATED})
    def get(self, request):
        invite_code = services.invite_code_for(user=request.user)
        overview = selectors.friends_overview(user=request.user)
        return Response(FriendsOverviewSerializer({"invite_code": invite_code, **overview}).data)

    @extend_schema(
        tags=FRIENDS, summary="Add a friend by invite code, or ask one by email",
        description="With `invite_code`: the code's holder shared it, so you are friends at once (201). With "
                    "`email`: a request whoever holds that address sees among their requests and may accept "
                    "(202, the same answer whether or not the address belongs to a learner).",
        request=AddFriendSerializer,
        responses={201: NewFriendSerializer, 202: SentRequestSerializer,
                   400: error_response("Neither or both of invite_code and email; your own code or address."),
                   404: error_response("No learner has that invite code."),
                   409: error_response("Already friends, or too many friends or open requests."),
                   **UNAUTHENTICATED},
    )
    def post(self, request):
        payload = AddFriendSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if "invite_code" in payload.validated_data:
            friend = services.add_friend_by_code(user=request.user,
                                                 invite_code=payload.validated_data["invite_code"])
            return Response(NewFriendSerializer({"friend": public_profile(friend)}).data,
                            status=status.HTTP_201_CREATED)
        sent = services.request_friend_by_email(user=request.user, email=payload.validated_data["email"])
        return Response(SentRequestSerializer({"request": {"id": sent.id, "email": sent.to_email,
                                                           "created_at": sent.created_at}}).data,
                        status=status.HTTP_202_ACCEPTED)


class FriendsLeaderboardApi(APIView):
    rate_limit_scope = "history"

    @extend_schema(tags=FRIENDS, summary="You and your friends by this week's XP",
                   description="The same league week as the leagues; friends who opted out of leagues are listed "
                               "too. Your own XP, new and removed friends and renamed ones show at once; a "
                               f"friend's new XP within {FRIENDS_XP_REFRESH_SECONDS} seconds.",
                   responses={200: FriendsLeaderboardSerializer, **UNAUTHENTICATED})
    def get(self, request):
        return Response(represent(FriendsLeaderboardSerializer, selectors.friends_leaderboard(user=request.user)))


class AcceptFriendRequestApi(APIView):
    rate_limit_scope = "default"

    @extend_schema(tags=FRIENDS, summary="Accept a friend request sent to your address", request=None,
                   responses={201: NewFriendSerializer, 404: error_response("No such request to you."),
                              409: error_response("Too many friends."), **UNAUTHENTICATED})
    def post(self, request, request_id):
        friend = services.accept_friend_request(user=request.user, request_id=request_id)
        return Response(NewFriendSerializer({"friend": public_profile(friend)}).data, status=status.HTTP_201_CREATED)


class FriendRequestApi(APIView):
    rate_limit_scope = "default"

    @extend_schema(tags=FRIENDS, summary="Decline a request to you, or withdraw one you sent",
                   responses={204: None, 404: error_response("No such request of yours."), **UNAUTHENTICATED})
    def delete(self, request, request_id):
        services.dismiss_friend_request(user=request.user, request_id=request_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FriendApi(APIView):
    rate_limit_scope = "default"

    @extend_schema(tags=FRIENDS, summary="Remove a friend", description="Both of you stop seeing each other.",
                   responses={204: None, 404: error_response("Not your friend."), **UNAUTHENTICATED})
    def delete(self, request, friend_id):
        services.remove_friend(user=request.user, friend_id=friend_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
