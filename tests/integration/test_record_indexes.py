"""The live-session queries use the indexes of live rows only (models.Meta).

Ending a session deletes its entries from those indexes instead of moving them,
which made the rotation purge's UPDATE a third cheaper (bench/purge.py).
"""

from __future__ import annotations

import pytest
from django.db import connection

from sessions_core.models import SessionRecord

# SQLite's plans (the tests' database). PostgreSQL chooses by its statistics: on a
# table of 500 rows it walked the full ended_at index instead, so these plans
# would say nothing there.
pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's EXPLAIN QUERY PLAN"
)


@pytest.fixture
def records(demo):
    """A table as it looks in time: most records ended, the planner's statistics
    up to date (an empty table's plan says nothing)."""
    from django.utils import timezone

    now = timezone.now()
    SessionRecord.objects.bulk_create(
        SessionRecord(
            user=demo["alice" if n % 2 else "bob"],
            key_digest=f"{n:064x}",
            signed_in_at=now,
            last_active_at=now,
            key_version=1 + n % 3,
            ended_at=now if n % 5 else None,
            end_reason="idle" if n % 5 else "",
        )
        for n in range(500)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return demo


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return " ".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.django_db
def test_a_users_live_sessions_are_found_in_the_live_index(records):
    live = SessionRecord.objects.live().filter(user=records["alice"])
    assert "sessionrecord_live_user" in plan(live.values("pk"))


@pytest.mark.django_db
def test_the_purge_walks_the_live_index_of_its_versions(records):
    retired = SessionRecord.objects.live().filter(key_version__in=[1]).order_by("pk")
    assert "sessionrecord_live_version" in plan(
        retired.values_list("pk", "key_digest")[:5000]
    )
