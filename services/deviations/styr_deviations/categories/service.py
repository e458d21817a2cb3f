"""A municipality's effective category list, and its changes to it.

The effective list of a municipality for a year is the national default list of that year
(``config.CATEGORIES``), less the codes the municipality has retired by then, with its own
labels, plus its own codes valid that year. Only the municipality's changes are stored
(``deviation_category``), so a new national list reaches every municipality at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.cases.models import Case
from styr_deviations.categories.models import MunicipalCategory
from styr_deviations.categories.schemas import CategoryIn, CategoryRead, CategorySource
from styr_deviations.config import (
    CATEGORIES,
    CaseKind,
    Category,
    CategoryGroup,
    category_group,
)
from styr_deviations.municipalities import require_reader, require_writer
from styr_shared.auth import Principal
from styr_shared.errors import ConflictError, InvalidFieldError, NotFoundError
from styr_shared.tenancy import record_change
from styr_shared.types import utcnow

SETTING = "category"
NATIONAL: dict[str, Category] = {category.code: category for category in CATEGORIES}


@dataclass(frozen=True)
class Entry:
    code: str
    label: str
    group: CategoryGroup
    valid_from_year: int | None
    valid_to_year: int | None
    source: CategorySource
    national_label: str | None = None

    def valid_in(self, year: int) -> bool:
        return (self.valid_from_year is None or year >= self.valid_from_year) and (
            self.valid_to_year is None or year <= self.valid_to_year
        )

    def read(self) -> CategoryRead:
        return CategoryRead(
            code=self.code,
            label=self.label,
            group=self.group,
            valid_from_year=self.valid_from_year,
            valid_to_year=self.valid_to_year,
            source=self.source,
            national_label=self.national_label,
        )


def _national(category: Category, row: MunicipalCategory | None) -> Entry:
    retired = row.valid_to_year if row is not None else None
    return Entry(
        code=category.code,
        label=(row.label if row is not None and row.label else category.label),
        group=category.group,
        valid_from_year=category.valid_from_year,
        valid_to_year=retired if retired is not None else category.valid_to_year,
        source=CategorySource.NATIONAL,
        national_label=category.label,
    )


def _own(row: MunicipalCategory) -> Entry:
    return Entry(
        code=row.code,
        label=row.label or row.code,
        group=CategoryGroup(row.category_group or CategoryGroup.DEVIATION),
        valid_from_year=row.valid_from_year,
        valid_to_year=row.valid_to_year,
        source=CategorySource.OWN,
    )


class Catalog:
    """One municipality's categories over every year (``None``: the national list alone)."""

    def __init__(self, municipality_id: str | None, rows: Sequence[MunicipalCategory] = ()) -> None:
        self.municipality_id = municipality_id
        by_code = {row.code: row for row in rows}
        self._entries = [_national(c, by_code.pop(c.code, None)) for c in CATEGORIES]
        self._entries += [_own(row) for _, row in sorted(by_code.items())]

    def entries(self, year: int | None = None, group: CategoryGroup | None = None) -> list[Entry]:
        return [
            entry
            for entry in self._entries
            if (year is None or entry.valid_in(year)) and (group is None or entry.group is group)
        ]

    def find(self, code: str, year: int, kind: CaseKind) -> Entry | None:
        return next((e for e in self.entries(year, category_group(kind)) if e.code == code), None)

    def check(self, code: str | None, kind: CaseKind, year: int, field: str) -> None:
        """422 naming ``field`` unless ``code`` is one of the list's codes of ``year``."""
        if code is None or self.find(code, year, kind) is not None:
            return
        group = category_group(kind).value
        where = f"of {self.municipality_id} " if self.municipality_id else ""
        listing = (
            f"GET /municipalities/{self.municipality_id}/categories?year={year}"
            if self.municipality_id
            else f"GET /categories?year={year}"
        )
        raise InvalidFieldError(
            field, f"{code!r} is not a {group} category {where}in {year} (see {listing})"
        )


async def load_catalog(session: AsyncSession, municipality_id: str) -> Catalog:
    rows = await session.exec(
        select(MunicipalCategory).where(col(MunicipalCategory.municipality_id) == municipality_id)
    )
    return Catalog(municipality_id, rows.all())


async def list_categories(
    session: AsyncSession,
    principal: Principal,
    municipality_id: str,
    year: int | None,
    kind: CaseKind | None,
) -> list[CategoryRead]:
    await require_reader(session, principal, municipality_id)
    catalog = await load_catalog(session, municipality_id)
    group = category_group(kind) if kind else None
    return [entry.read() for entry in catalog.entries(year, group)]


def national_list(year: int, kind: CaseKind | None) -> list[CategoryRead]:
    group = category_group(kind) if kind else None
    return [entry.read() for entry in Catalog(None).entries(year, group)]


async def _row(session: AsyncSession, municipality_id: str, code: str) -> MunicipalCategory | None:
    return (
        await session.exec(
            select(MunicipalCategory).where(
                col(MunicipalCategory.municipality_id) == municipality_id,
                col(MunicipalCategory.code) == code,
            )
        )
    ).first()


async def _cases_using(session: AsyncSession, municipality_id: str, code: str) -> int:
    statement = (
        select(func.count())
        .select_from(Case)
        .where(col(Case.municipality_id) == municipality_id, col(Case.category) == code)
    )
    return int((await session.exec(statement)).one())


def _state(row: MunicipalCategory | None) -> dict[str, Any] | None:
    """What the history keeps of a row: the municipality's change, not its bookkeeping."""
    if row is None:
        return None
    return {
        "label": row.label,
        "group": row.category_group,
        "valid_from_year": row.valid_from_year,
        "valid_to_year": row.valid_to_year,
    }


def _national_change(national: Category, data: CategoryIn) -> dict[str, Any]:
    if data.group is not None and data.group is not national.group:
        raise InvalidFieldError(
            "body.group", f"{national.code!r} is a national {national.group} code; its group stays"
        )
    if data.valid_from_year is not None and data.valid_from_year != national.valid_from_year:
        raise InvalidFieldError(
            "body.valid_from_year", "a national code's first year is the national list's"
        )
    last = data.valid_to_year
    if last is not None and national.valid_to_year is not None and last > national.valid_to_year:
        raise InvalidFieldError(
            "body.valid_to_year",
            f"the national list retires {national.code!r} after {national.valid_to_year}; "
            "a municipality can retire it earlier, not keep it longer (add an own code instead)",
        )
    if (
        last is not None
        and national.valid_from_year is not None
        and last < national.valid_from_year
    ):
        raise InvalidFieldError(
            "body.valid_to_year", f"{national.code!r} is valid from {national.valid_from_year}"
        )
    return {
        "label": data.label,
        "category_group": None,
        "valid_from_year": None,
        "valid_to_year": last,
    }


def _own_change(data: CategoryIn) -> dict[str, Any]:
    if data.label is None:
        raise InvalidFieldError("body.label", "an own category needs a label")
    if data.group is None:
        raise InvalidFieldError(
            "body.group", "an own category needs a group: deviation or feedback"
        )
    if (
        data.valid_from_year is not None
        and data.valid_to_year is not None
        and data.valid_to_year < data.valid_from_year
    ):
        raise InvalidFieldError("body.valid_to_year", "must not be before valid_from_year")
    return {
        "label": data.label,
        "category_group": data.group.value,
        "valid_from_year": data.valid_from_year,
        "valid_to_year": data.valid_to_year,
    }


async def put_category(
    session: AsyncSession, principal: Principal, municipality_id: str, code: str, data: CategoryIn
) -> CategoryRead:
    """Relabel or retire a national code, or add or change an own code."""
    await require_writer(session, principal, municipality_id)
    national = NATIONAL.get(code)
    fields = _national_change(national, data) if national else _own_change(data)
    row = await _row(session, municipality_id, code)
    before = _state(row)
    if (
        row is not None
        and national is None
        and row.category_group != fields["category_group"]
        and await _cases_using(session, municipality_id, code)
    ):
        raise ConflictError(
            f"Cases use {code!r} as a {row.category_group} category; its group cannot change.",
            slug="category-in-use",
        )
    if row is None:
        row = MunicipalCategory(
            municipality_id=municipality_id, code=code, updated_by=principal.subject, **fields
        )
    else:
        row.sqlmodel_update(fields | {"updated_by": principal.subject, "updated_at": utcnow()})
    session.add(row)
    await record_change(
        session,
        municipality_id=municipality_id,
        setting=SETTING,
        key=code,
        before=before,
        after=_state(row),
        actor=principal,
    )
    await session.commit()
    await session.refresh(row)
    return (_national(national, row) if national else _own(row)).read()


async def delete_category(
    session: AsyncSession, principal: Principal, municipality_id: str, code: str
) -> None:
    """Take back the municipality's change: a national code returns to the national list; an
    own code is removed, if no case of the municipality uses it (else retire it)."""
    await require_writer(session, principal, municipality_id)
    row = await _row(session, municipality_id, code)
    if row is None:
        raise NotFoundError(f"Municipality {municipality_id!r} has no change to category {code!r}.")
    if code not in NATIONAL:
        used = await _cases_using(session, municipality_id, code)
        if used:
            raise ConflictError(
                f"{used} case(s) use {code!r}; retire it instead (PUT with valid_to_year).",
                slug="category-in-use",
            )
    await record_change(
        session,
        municipality_id=municipality_id,
        setting=SETTING,
        key=code,
        before=_state(row),
        after=None,
        actor=principal,
    )
    await session.delete(row)
    await session.commit()
