"""Who may see and change which case, and who may see its personal data.

- Case details: case handlers, MAS/MAR and Lex Sarah investigators within their org scope
  (a grant on a unit covers everything below it); admins everywhere. Other roles (readers,
  planners, controllers, importers) get statistics only.
- Personal data: case handlers of the case's unit (scope), MAS/MAR for health-care (HSL)
  cases, the Lex Sarah investigator for Lex Sarah cases. Admins see cases but not personal
  data unless they also hold one of those roles.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.cases.models import Case
from styr_deviations.config import LawArea, Regime
from styr_shared import orgtree
from styr_shared.auth import Principal, Role
from styr_shared.errors import ConflictError, ForbiddenError, NotFoundError
from styr_shared.orgreplica import ReplicaOrgUnit

CASE_ROLES = (Role.CASE_HANDLER, Role.MAS, Role.LEX_SARAH_INVESTIGATOR)


def has_case_role(principal: Principal) -> bool:
    return principal.has_any_role(*CASE_ROLES)


async def in_scope(session: AsyncSession, principal: Principal, unit_id: str) -> bool:
    # A unit the replica does not know yet still matches a grant on the unit itself.
    return principal.covers(await orgtree.lineage(session, ReplicaOrgUnit, unit_id) or [unit_id])


async def scope_units(session: AsyncSession, principal: Principal) -> set[str] | None:
    """Every unit id the caller's grants cover; None means all (the deployment's operator)."""
    if principal.unrestricted:
        return None
    units: set[str] = set()
    for unit in principal.org_units:
        units.add(unit)
        units.update(await orgtree.descendants(session, ReplicaOrgUnit, unit))
    return units


def acting_roles(principal: Principal, case: Case) -> set[Role]:
    """The caller's roles that apply to this case (MAS only on health care, etc.)."""
    roles: set[Role] = set()
    if principal.is_admin:
        roles.add(Role.ADMIN)
    if Role.CASE_HANDLER in principal.roles:
        roles.add(Role.CASE_HANDLER)
    if Role.MAS in principal.roles and case.law_area == LawArea.HSL:
        roles.add(Role.MAS)
    if Role.LEX_SARAH_INVESTIGATOR in principal.roles and case.regime == Regime.LEX_SARAH:
        roles.add(Role.LEX_SARAH_INVESTIGATOR)
    return roles


def may_see_personal_data(principal: Principal, case: Case) -> bool:
    """Assumes the scope check passed."""
    roles = acting_roles(principal, case) - {Role.ADMIN}
    return bool(roles)


async def load_case(
    session: AsyncSession, principal: Principal, case_id: int, *, write: bool = False
) -> Case:
    if not has_case_role(principal):
        raise ForbiddenError("Case details need a case-handling role; use the statistics.")
    case = await session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"Case {case_id} does not exist.")
    if not await in_scope(session, principal, case.org_unit_id):
        raise ForbiddenError("The case belongs to an org unit outside your scope.")
    if write and not acting_roles(principal, case):
        raise ForbiddenError("Your role may read this case but not change it.")
    if write and case.import_withdrawn_at is not None:
        raise ConflictError("The case was withdrawn as wrongly imported; it is kept unchanged.")
    return case


async def load_case_for_update(session: AsyncSession, principal: Principal, case_id: int) -> Case:
    """Like :func:`load_case`, but locks the row (PostgreSQL) so concurrent changes queue."""
    await session.exec(select(Case.id).where(col(Case.id) == case_id).with_for_update())
    return await load_case(session, principal, case_id, write=True)
