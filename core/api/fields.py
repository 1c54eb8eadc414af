"""Serializer fields shared by the apps' API shapes."""

from rest_framework import serializers


class PreparedList(serializers.ListField):
    """A list of rows a selector already built in the documented shape of `child`: JSON-ready values (text,
    numbers, booleans, None, UUIDs, nested dicts and lists), rendered as they are.

    For the long lists of hot reads (league tables, friends leaderboards): DRF's field-by-field pass costs
    about 20 µs a row, more than the query that found them. `child` still documents the rows in the schema, and
    the schema tests hold the responses to it. Read-only: nothing is parsed with it.
    """

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, data):
        return data
