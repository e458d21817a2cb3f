"""Reference numbers (diarienummer): a gap-free series per municipality, year and, when the
municipality numbers per committee, committee.

A series is keyed by the municipality and the format's text with ``*`` for the serial
(``casesettings.formats``): ``oxelosund`` / ``VON.2025.*``, ``trosa`` / ``SN 2025/*``. Its
counter row is locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers) in
the transaction that inserts the cases, so concurrent registrations queue on it and a rollback
gives the serials back: no gaps, no duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.cases.models import Case, ReferenceCounter
from styr_deviations.casesettings.schemas import CaseSettings
from styr_deviations.casesettings.service import committee_of
from styr_deviations.config import local_date
from styr_shared.errors import InvalidFieldError


async def reserve_serials(
    session: AsyncSession, municipality_id: str, series: str, count: int = 1
) -> int:
    """Reserve ``count`` consecutive serials of a series; returns the first.

    The counter row is created if missing, then locked and advanced in the caller's
    transaction. The caller must use every serial it reserves.
    """
    assert session.bind is not None
    upsert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.exec(
        upsert(ReferenceCounter)
        .values(municipality_id=municipality_id, series=series, last_value=0)
        .on_conflict_do_nothing(index_elements=["municipality_id", "series"])
    )
    counter = (
        await session.exec(
            select(ReferenceCounter)
            .where(
                col(ReferenceCounter.municipality_id) == municipality_id,
                col(ReferenceCounter.series) == series,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).one()
    first = counter.last_value + 1
    counter.last_value += count
    session.add(counter)
    await session.flush()
    return first


async def committee_codes(
    session: AsyncSession, unit_ids: Sequence[str], field: str = "body.org_unit_id"
) -> dict[str, str]:
    """The code of each unit's committee, for series kept per committee (422 naming ``field``
    for a unit with no committee above it)."""
    codes: dict[str, str] = {}
    for unit_id in dict.fromkeys(unit_ids):
        committee = await committee_of(session, unit_id)
        if committee is None:
            raise InvalidFieldError(
                field,
                f"{unit_id!r} has no committee above it, and its municipality numbers its "
                "cases per committee",
            )
        codes[unit_id] = committee.code
    return codes


async def assign_references(
    session: AsyncSession, municipality_id: str, settings: CaseSettings, cases: Sequence[Case]
) -> None:
    """Give each case (in order) the next serial of its series in the municipality."""
    fmt = settings.reference
    committees = (
        await committee_codes(session, [case.org_unit_id for case in cases])
        if fmt.uses_committee
        else {}
    )
    series: dict[str, list[tuple[Case, int, str | None]]] = {}
    for case in cases:
        year = local_date(case.reported_at).year
        committee = committees.get(case.org_unit_id)
        series.setdefault(fmt.series(year, committee), []).append((case, year, committee))
    for key in sorted(series):  # one order of locks for everyone: no deadlock
        group = series[key]
        first = await reserve_serials(session, municipality_id, key, len(group))
        for serial, (case, year, committee) in enumerate(group, start=first):
            case.municipality_id, case.series, case.serial = municipality_id, key, serial
            case.reference_number = fmt.render(year, serial, committee)
