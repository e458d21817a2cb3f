"""Test helpers shared by every service's suite.

The pytest plugin (:mod:`styr_shared.testing.plugin`, registered as an entry point) provides
the fixtures; the functions here are for service conftests.
"""

from typing import Any

from styr_shared.testing.database import (
    TEST_BACKENDS,
    create_test_database,
    drop_test_database,
    truncate_all,
)
from styr_shared.testing.harness import (
    api_client,
    assert_migrations_in_step,
    metric_value,
    running_service,
    service_fixtures,
)
from styr_shared.testing.isolation import Read, assert_isolated, unlisted_reads
from styr_shared.testing.servers import UvicornThread
from styr_shared.testing.tokens import TokenFactory

__all__ = [
    "BOTH_MUNICIPALITIES",
    "OXELOSUND",
    "TEST_BACKENDS",
    "TROSA",
    "Read",
    "TokenFactory",
    "UvicornThread",
    "api_client",
    "assert_isolated",
    "assert_migrations_in_step",
    "create_test_database",
    "drop_test_database",
    "metric_value",
    "running_service",
    "seed_org_replica",
    "service_fixtures",
    "truncate_all",
    "unlisted_reads",
]


def __getattr__(name: str) -> Any:
    # Imported lazily: the org replica's tables must not land in the goals service's metadata,
    # which has its own ``org_unit``.
    if name in {"BOTH_MUNICIPALITIES", "OXELOSUND", "TROSA", "seed_org_replica"}:
        from styr_shared.testing import orgs

        return getattr(orgs, name)
    raise AttributeError(name)
