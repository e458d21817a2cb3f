"""Every table of the goals service, imported in one place for Alembic and the tests."""

from styr_goals.followup.models import Activity, Assessment, Publication
from styr_goals.imports.models import ImportRowError, ImportRun
from styr_goals.internal_control.models import (
    InternalControlControl,
    InternalControlPlan,
    InternalControlProcess,
    InternalControlResult,
    InternalControlRisk,
)
from styr_goals.measures.models import (
    GoalMeasure,
    Measure,
    MeasureBaseline,
    MeasureDefinition,
    MeasureSeries,
    MeasureTarget,
    MeasureValue,
    MeasureValueAudit,
    ValuePeriodLock,
)
from styr_goals.orgunits.models import MunicipalityOrgLevel, OrgLevel, OrgUnit, OrgUnitChange
from styr_goals.plans.models import Goal, GoalVersion, Plan, SteeringConfig
from styr_shared.tenancy import SettingChange

__all__ = [
    "Activity",
    "Assessment",
    "Goal",
    "GoalMeasure",
    "GoalVersion",
    "ImportRowError",
    "ImportRun",
    "InternalControlControl",
    "InternalControlPlan",
    "InternalControlProcess",
    "InternalControlResult",
    "InternalControlRisk",
    "Measure",
    "MeasureBaseline",
    "MeasureDefinition",
    "MeasureSeries",
    "MeasureTarget",
    "MeasureValue",
    "MeasureValueAudit",
    "MunicipalityOrgLevel",
    "OrgLevel",
    "OrgUnit",
    "OrgUnitChange",
    "Plan",
    "Publication",
    "SettingChange",
    "SteeringConfig",
    "ValuePeriodLock",
]
