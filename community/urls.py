from django.urls import path

from community import apis

app_name = "community"

urlpatterns = [
    path("leagues/current", apis.CurrentLeagueApi.as_view(), name="league-current"),
    path("users/me/leagues", apis.LeagueParticipationApi.as_view(), name="league-participation"),
    path("friends", apis.FriendsApi.as_view(), name="friends"),
    path("friends/leaderboard", apis.FriendsLeaderboardApi.as_view(), name="friends-leaderboard"),
    path("friends/requests/<uuid:request_id>/accept", apis.AcceptFriendRequestApi.as_view(), name="request-accept"),
    path("friends/requests/<uuid:request_id>", apis.FriendRequestApi.as_view(), name="request"),
    path("friends/<uuid:friend_id>", apis.FriendApi.as_view(), name="friend"),
]
