"""A local copy of the organisation, kept current from the goals service's change feed.

The goals service owns the org tree. The budget and deviations services import
:mod:`styr_shared.orgreplica.models` (so ``org_unit`` and ``org_feed_state`` are in their
schema), run :func:`replication_task` in the background and use the replica for org-scope
checks and subtree queries. The replica is never edited by hand: it only applies the feed.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    # Loaded on first use, not on import: the goals service's migrations use
    # :mod:`styr_shared.orgreplica.migration` on its own ``org_unit``, and loading the replica's
    # models there would put a second ``org_unit`` table on its metadata.
    if name in {"OrgFeedState", "ReplicaOrgUnit"}:
        from styr_shared.orgreplica import models

        return getattr(models, name)
    if name in __all__:
        from styr_shared.orgreplica import sync

        return getattr(sync, name)
    raise AttributeError(name)
