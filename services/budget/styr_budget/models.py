"""Every table of the budget service, imported in one place for Alembic and the tests."""

from styr_budget.budgets.models import BudgetEntry, BudgetFrame, BudgetVersion
from styr_budget.dimensions.models import (
    AccountGroup,
    AccountMapping,
    ActivityCode,
    FiscalYear,
    ObjectMapping,
    PeriodisationKey,
)
from styr_budget.forecasts.models import BalanceMeasure, Forecast
from styr_budget.investments.models import InvestmentCarryOver, InvestmentObject, InvestmentYear
from styr_budget.outcomes.models import Outcome, OutcomeImport, OutcomeYear
from styr_budget.results.models import ResultExplanation, ResultReport
from styr_shared.orgreplica.models import OrgFeedState, ReplicaOrgUnit
from styr_shared.tenancy.models import SettingChange

__all__ = [
    "AccountGroup",
    "AccountMapping",
    "ActivityCode",
    "BalanceMeasure",
    "BudgetEntry",
    "BudgetFrame",
    "BudgetVersion",
    "FiscalYear",
    "Forecast",
    "InvestmentCarryOver",
    "InvestmentObject",
    "InvestmentYear",
    "ObjectMapping",
    "OrgFeedState",
    "Outcome",
    "OutcomeImport",
    "OutcomeYear",
    "PeriodisationKey",
    "ReplicaOrgUnit",
    "ResultExplanation",
    "ResultReport",
    "SettingChange",
]
