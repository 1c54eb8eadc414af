"""Page/limit pagination with the contract's `pagination` object.

A view sets `results_key` (e.g. "sessions") and optionally `default_limit`/`max_limit`
on a subclass; out-of-range `page`/`limit` values are a 400, a page past the end is empty.
"""

import math
from collections import OrderedDict

from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.response import Response


class PagePagination(BasePagination):
    results_key = "results"
    default_limit = 20
    max_limit = 100

    def paginate_queryset(self, queryset, request, view=None):
        query = serializers.Serializer(data=request.query_params)
        query.fields["page"] = serializers.IntegerField(min_value=1, default=1)
        query.fields["limit"] = serializers.IntegerField(min_value=1, max_value=self.max_limit,
                                                         default=self.default_limit)
        query.is_valid(raise_exception=True)
        self.page = query.validated_data["page"]
        self.limit = query.validated_data["limit"]
        self.total = queryset.count()
        offset = (self.page - 1) * self.limit
        if offset >= self.total:
            # Past the end: empty, and no query whose OFFSET the database may not hold (page=10**30).
            return []
        return list(queryset[offset : offset + self.limit])

    def pagination_object(self) -> dict:
        return {
            "page": self.page,
            "limit": self.limit,
            "total": self.total,
            "total_pages": math.ceil(self.total / self.limit) if self.total else 0,
        }

    def get_paginated_response(self, data):
        return Response(OrderedDict([(self.results_key, data), ("pagination", self.pagination_object())]))

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": [self.results_key, "pagination"],
            "properties": {
                self.results_key: schema,
                "pagination": {
                    "type": "object",
                    "required": ["page", "limit", "total", "total_pages"],
                    "properties": {
                        "page": {"type": "integer", "minimum": 1},
                        "limit": {"type": "integer", "minimum": 1},
                        "total": {"type": "integer", "minimum": 0},
                        "total_pages": {"type": "integer", "minimum": 0},
                    },
                },
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "page", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "default": 1}},
            {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit, "default": self.default_limit}},
        ]


def page_pagination(results_key: str, *, default_limit: int = 20, max_limit: int = 100) -> type[PagePagination]:
    """A PagePagination class for one list endpoint."""
    return type(
        f"{results_key.title()}Pagination",
        (PagePagination,),
        {"results_key": results_key, "default_limit": default_limit, "max_limit": max_limit},
    )
