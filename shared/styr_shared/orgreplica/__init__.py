"""A local copy of the organisation, kept current from the goals service's change feed.

The goals service owns the org tree. The budget and deviations services import
:mod:`styr_shared.orgreplica.models` (so ``org_unit`` and ``org_feed_state`` are in their
schema), run :func:`replication_task` in the background and use the replica for org-scope
checks and subtree queries. The replica is never edited by hand: it only applies the feed.
"""

from styr_shared.orgreplica.models import OrgFeedState, ReplicaOrgUnit
from styr_shared.orgreplica.sync import (
    ReplicaRefresher,
    apply_feed_page,
    get_unit,
    refresh_for,
    replication_task,
    sync_once,
)

__all__ = [
    "OrgFeedState",
    "ReplicaOrgUnit",
    "ReplicaRefresher",
    "apply_feed_page",
    "get_unit",
    "refresh_for",
    "replication_task",
    "sync_once",
]
