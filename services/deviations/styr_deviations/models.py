"""Every table of the deviations service, imported in one place for Alembic and the tests."""

from styr_deviations.cases.models import Case, CaseAction, CaseHistory, ReferenceCounter
from styr_deviations.casesettings.models import CaseSettingsRow
from styr_deviations.categories.models import MunicipalCategory
from styr_deviations.personaldata.models import PersonalDataAccess
from styr_shared.orgreplica.models import OrgFeedState, ReplicaOrgUnit
from styr_shared.tenancy.models import SettingChange

__all__ = [
    "Case",
    "CaseAction",
    "CaseHistory",
    "CaseSettingsRow",
    "MunicipalCategory",
    "OrgFeedState",
    "PersonalDataAccess",
    "ReferenceCounter",
    "ReplicaOrgUnit",
    "SettingChange",
]
