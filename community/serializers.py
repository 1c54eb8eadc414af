"""Shapes of the community API: other learners appear by display name and avatar only."""

from rest_framework import serializers

from core.api.fields import PreparedList


class PublicLearnerSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    avatar_url = serializers.URLField(allow_null=True)


class TierSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="0 is the lowest tier (Bronze).")
    code = serializers.CharField()
    name = serializers.CharField()


class LeagueWeekSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(help_text="When the week closes: promotions and demotions follow.")


class LeagueEntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    user = PublicLearnerSerializer()
    xp = serializers.IntegerField(help_text="XP earned this league week.")
    is_me = serializers.BooleanField()
    zone = serializers.ChoiceField(choices=["promotion", "stay", "demotion"],
                                   help_text="Where this rank would take the learner if the week closed now.")


class LeagueSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.IntegerField()
    members = serializers.IntegerField()
    promote = serializers.IntegerField(help_text="How many at the top go up a tier.")
    demote = serializers.IntegerField(help_text="How many at the bottom go down a tier.")
    entries = PreparedList(child=LeagueEntrySerializer())


class LeagueTableSerializer(serializers.Serializer):
    week = LeagueWeekSerializer()
    tier = TierSerializer()
    opted_out = serializers.BooleanField()
    xp = serializers.IntegerField()
    rank = serializers.IntegerField(allow_null=True)
    league = LeagueSerializer(allow_null=True, help_text="Null until your first XP of the week, or while opted out.")


class LeagueStandingSerializer(serializers.Serializer):
    tier = TierSerializer()
    opted_out = serializers.BooleanField()
    xp = serializers.IntegerField()
    rank = serializers.IntegerField(allow_null=True)
    members = serializers.IntegerField()
    week_ends_at = serializers.DateTimeField()


class LeagueParticipationSerializer(serializers.Serializer):
    opted_out = serializers.BooleanField(help_text="True: leave this week's league and never be placed in one.")


class FriendSerializer(PublicLearnerSerializer):
    since = serializers.DateTimeField()


class IncomingRequestSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    from_user = PublicLearnerSerializer()
    created_at = serializers.DateTimeField()


class OutgoingRequestSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    created_at = serializers.DateTimeField()


class FriendsOverviewSerializer(serializers.Serializer):
    invite_code = serializers.CharField(help_text="Share it: whoever enters it becomes your friend.")
    friends = FriendSerializer(many=True)
    incoming_requests = IncomingRequestSerializer(many=True)
    outgoing_requests = OutgoingRequestSerializer(many=True)


class AddFriendSerializer(serializers.Serializer):
    invite_code = serializers.CharField(required=False, max_length=32)
    email = serializers.EmailField(required=False)

    def validate(self, attrs):
        if ("invite_code" in attrs) == ("email" in attrs):
            raise serializers.ValidationError("Send exactly one of invite_code and email.")
        return attrs


class NewFriendSerializer(serializers.Serializer):
    friend = PublicLearnerSerializer()


class SentRequestSerializer(serializers.Serializer):
    request = OutgoingRequestSerializer()


class FriendsLeaderboardEntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    user = PublicLearnerSerializer()
    xp = serializers.IntegerField()
    is_me = serializers.BooleanField()


class FriendsLeaderboardSerializer(serializers.Serializer):
    week = LeagueWeekSerializer()
    entries = PreparedList(child=FriendsLeaderboardEntrySerializer())
