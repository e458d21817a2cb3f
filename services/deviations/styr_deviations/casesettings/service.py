"""Reading and writing a municipality's case settings; the committee a unit's cases number
under."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.casesettings.models import CaseSettingsRow
from styr_deviations.casesettings.schemas import (
    NATIONAL_DEFAULTS,
    CaseSettings,
    CaseSettingsRead,
    SeriesScope,
)
from styr_deviations.municipalities import require_reader, require_writer
from styr_shared import orgtree
from styr_shared.auth import Principal
from styr_shared.errors import InvalidFieldError
from styr_shared.orgreplica import ReplicaOrgUnit, get_unit
from styr_shared.tenancy import record_change
from styr_shared.types import utcnow

SETTING = "case_settings"
COMMITTEE_LEVEL = "committee"


async def load(session: AsyncSession, municipality_id: str) -> CaseSettings:
    """The municipality's settings, or the national defaults when it has stored none."""
    row = await session.get(CaseSettingsRow, municipality_id)
    return CaseSettings.model_validate(row.document) if row else NATIONAL_DEFAULTS


async def load_many(
    session: AsyncSession, municipality_ids: Iterable[str]
) -> dict[str, CaseSettings]:
    wanted = sorted(set(municipality_ids))
    found = {}
    if wanted:
        rows = await session.exec(
            select(CaseSettingsRow).where(col(CaseSettingsRow.municipality_id).in_(wanted))
        )
        found = {row.municipality_id: CaseSettings.model_validate(row.document) for row in rows}
    return {m: found.get(m, NATIONAL_DEFAULTS) for m in wanted}


def _read(municipality_id: str, row: CaseSettingsRow | None) -> CaseSettingsRead:
    return CaseSettingsRead(
        municipality_id=municipality_id,
        stored=row is not None,
        updated_at=row.updated_at if row else None,
        updated_by=row.updated_by if row else None,
        settings=CaseSettings.model_validate(row.document) if row else NATIONAL_DEFAULTS,
    )


async def read(
    session: AsyncSession, principal: Principal, municipality_id: str
) -> CaseSettingsRead:
    await require_reader(session, principal, municipality_id)
    return _read(municipality_id, await session.get(CaseSettingsRow, municipality_id))


async def committee_of(session: AsyncSession, unit_id: str) -> ReplicaOrgUnit | None:
    """The unit itself or its nearest ancestor at level ``committee`` (None if none is)."""
    lineage = await orgtree.lineage(session, ReplicaOrgUnit, unit_id)
    if not lineage:
        return None
    rows = await session.exec(
        select(ReplicaOrgUnit).where(
            col(ReplicaOrgUnit.id).in_(lineage), col(ReplicaOrgUnit.level) == COMMITTEE_LEVEL
        )
    )
    committees = {unit.id: unit for unit in rows}
    return next((committees[unit] for unit in lineage if unit in committees), None)


async def _check_intake_unit(
    session: AsyncSession, municipality_id: str, settings: CaseSettings
) -> None:
    if settings.intake_unit_id is None:
        return
    field = "body.intake_unit_id"
    unit = await get_unit(session, settings.intake_unit_id)
    if unit is None:
        raise InvalidFieldError(field, f"unknown org unit {settings.intake_unit_id!r}")
    if unit.municipality_id != municipality_id:
        raise InvalidFieldError(
            field, f"the unit belongs to another municipality than {municipality_id!r}"
        )
    if (
        settings.series_scope is SeriesScope.COMMITTEE
        and await committee_of(session, unit.id) is None
    ):
        raise InvalidFieldError(
            field, "the series run per committee, and this unit has no committee above it"
        )


async def put(
    session: AsyncSession, principal: Principal, municipality_id: str, settings: CaseSettings
) -> CaseSettingsRead:
    await require_writer(session, principal, municipality_id)
    await _check_intake_unit(session, municipality_id, settings)
    row = await session.get(CaseSettingsRow, municipality_id)
    before = row.document if row else None
    document = settings.model_dump(mode="json")
    if row is None:
        row = CaseSettingsRow(
            municipality_id=municipality_id, document=document, updated_by=principal.subject
        )
    else:
        row.document, row.updated_by, row.updated_at = document, principal.subject, utcnow()
    session.add(row)
    await record_change(
        session,
        municipality_id=municipality_id,
        setting=SETTING,
        key="document",
        before=before,
        after=document,
        actor=principal,
    )
    await session.commit()
    await session.refresh(row)
    return _read(municipality_id, row)
