"""PostgreSQL as Django uses it (with django-prometheus' query metrics), plus a client-side deadline.

A statement timeout is enforced by the server, so it cannot help when the server itself is
frozen (a paused container, a stopped process) while the kernel still accepts our bytes:
a request would wait out the whole freeze. With OPTIONS["client_timeout"] every wait for
the server (a statement, a fetch, a commit) gives up after that many seconds, closes the
connection and raises OperationalError, which the API answers with a 503.
"""

from __future__ import annotations

from typing import Any

import psycopg
from django_prometheus.db.backends.postgresql import base


class BoundedConnection(psycopg.Connection):
    client_timeout: float | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        if timeout is not None or not self.client_timeout:
            return super().wait(gen, interval, timeout)
        try:
            return super().wait(gen, interval, self.client_timeout)
        # psycopg's own signal for an expired wait (pinned version; tests/faults cover it).
        except psycopg.errors._WaitTimeout:
            self.close()  # mid-protocol: nothing more can be said on this connection
            raise psycopg.OperationalError(
                f"The database did not answer within {self.client_timeout} s; connection closed.") from None


class _Psycopg:
    """The psycopg module as Django's backend sees it, connecting with BoundedConnection."""

    def __getattr__(self, name: str) -> Any:
        return getattr(psycopg, name)

    @staticmethod
    def connect(*args: Any, **kwargs: Any) -> BoundedConnection:
        return BoundedConnection.connect(*args, **kwargs)


class DatabaseWrapper(base.DatabaseWrapper):
    Database = _Psycopg()

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        params.pop("client_timeout", None)
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> BoundedConnection:
        connection = super().get_new_connection(conn_params)
        connection.client_timeout = self.settings_dict["OPTIONS"].get("client_timeout")
        return connection
