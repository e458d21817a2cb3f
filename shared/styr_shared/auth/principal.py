"""Who the caller is and what they may do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # everything
    READER = "reader"  # plans, budgets, statistics; never case details
    PLANNER = "planner"  # plans, goals, measures, targets, assessments, activities
    IMPORTER = "importer"  # machine writes of measure values and ledger outcome
    CONTROLLER = "controller"  # budget, forecasts, outcome
    CASE_HANDLER = "case_handler"  # deviation and complaint cases of their units
    MAS = "mas"  # medically responsible nurse/therapist (MAS/MAR): health-care cases
    LEX_SARAH_INVESTIGATOR = "lex_sarah_investigator"


@dataclass(frozen=True)
class Principal:
    subject: str
    name: str | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    org_units: frozenset[str] = field(default_factory=frozenset)
    token: str = field(default="", repr=False, compare=False)

    @property
    def is_admin(self) -> bool:
        """Holds the admin role (within ``org_units``, or everywhere when :attr:`unrestricted`)."""
        return Role.ADMIN in self.roles

    @property
    def unrestricted(self) -> bool:
        """An admin without an org scope: the deployment's operator, who covers every unit.

        An admin whose token names org units is a municipality's (or a unit's) admin: every
        role check passes, but only inside those subtrees.
        """
        return self.is_admin and not self.org_units

    def has_any_role(self, *roles: Role) -> bool:
        return self.is_admin or any(role in self.roles for role in roles)

    def covers(self, unit_and_ancestors: Iterable[str]) -> bool:
        """Whether a unit is in scope, given the unit's id followed by its ancestors' ids.

        A grant on a unit covers everything under it, so the caller's scope covers a unit when
        it names the unit itself or any ancestor. Only an :attr:`unrestricted` admin covers
        every unit.
        """
        if self.unrestricted:
            return True
        return any(unit in self.org_units for unit in unit_and_ancestors)
