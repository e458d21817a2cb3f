"""Every table of the deviations service, imported in one place for Alembic and the tests."""

from styr_deviations.cases.models import Case, CaseAction, CaseHistory, ReferenceCounter
from styr_deviations.personaldata.models import PersonalDataAccess
from styr_shared.orgreplica.models import OrgFeedState, ReplicaOrgUnit

__all__ = [
    "Case",
    "CaseAction",
    "CaseHistory",
    "OrgFeedState",
    "PersonalDataAccess",
    "ReferenceCounter",
    "ReplicaOrgUnit",
]
