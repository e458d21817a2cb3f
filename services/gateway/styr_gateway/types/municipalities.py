"""Municipalities, the tenants: each the root of an org tree with settings of its own.

A municipality's settings live in the service that uses them (fiscal years in budget, case
categories and case settings in deviations); each field here is one call to that service's
``/api/v1/municipalities/{id}/...``, which decides who may read them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from styr_gateway.context import Info
from styr_gateway.cost import FieldCost
from styr_gateway.loaders import parse
from styr_gateway.records import (
    CaseSettingsRecord,
    CategoryList,
    FiscalYearList,
    MunicipalityList,
    MunicipalityRecord,
)
from styr_gateway.types.orgunits import OrgUnit
from styr_gateway.upstream import Service

COSTS = {
    "Query.municipalities": FieldCost(size=20),
    "Query.municipality": FieldCost(),
    "Municipality.orgUnit": FieldCost(),
    "Municipality.fiscalYears": FieldCost(size=10),
    "Municipality.deviationCategories": FieldCost(size=40),
    "Municipality.caseSettings": FieldCost(),
}


@strawberry.type(description="A fiscal year of a municipality and its follow-up months.")
class FiscalYear:
    year: int = strawberry.field(description="The year.")
    follow_up_months: list[int] = strawberry.field(
        description="The months (1-12) the committees report on, e.g. [4, 8, 12]."
    )
    closed: bool = strawberry.field(description="Whether the year is closed for changes.")


@strawberry.type(description="A deviation, complaint or feedback category a municipality uses.")
class DeviationCategory:
    code: str = strawberry.field(description="The code cases carry, e.g. `fall`.")
    label: str = strawberry.field(description="The label the municipality shows.")
    group: str = strawberry.field(description="`deviation` or `feedback` (complaints too).")
    valid_from_year: int | None = strawberry.field(description="First year; null: always.")
    valid_to_year: int | None = strawberry.field(description="Last year; null: still valid.")
    source: str = strawberry.field(
        description="`national` (the national default list) or `own` (the municipality's)."
    )
    national_label: str | None = strawberry.field(
        description="For a national code: its national label (the municipality may relabel it)."
    )


@strawberry.type(description="How a municipality numbers and receives its cases.")
class CaseSettings:
    reference_format: str = strawberry.field(
        description="The reference number format, e.g. `SN {year}/{n}`."
    )
    series_scope: str = strawberry.field(
        description="`municipality` (one series per year) or `committee` (one per committee)."
    )
    intake_unit_id: strawberry.ID | None = strawberry.field(
        description="The unit that receives citizens' feedback; null: intake not set up."
    )
    suppression_threshold: int = strawberry.field(
        description="Counts below this are withheld from statistics for callers without case "
        "access."
    )
    stored: bool = strawberry.field(
        description="False: the municipality stored nothing and uses the national defaults."
    )
    updated_at: datetime | None = strawberry.field(description="When last changed.")


@strawberry.type(
    description="A municipality: the root of an org tree, and the owner of its settings."
)
class Municipality:
    id: strawberry.ID = strawberry.field(description="The root org unit's id, e.g. `oxelosund`.")
    code: str = strawberry.field(description="The municipality's code, e.g. `OXD`.")
    name: str = strawberry.field(description="The name, e.g. `Oxelösunds kommun`.")
    kolada_id: str | None = strawberry.field(description="Kolada's municipality code.")

    @classmethod
    def from_record(cls, record: MunicipalityRecord) -> Municipality:
        return cls(
            id=strawberry.ID(record.id),
            code=record.code,
            name=record.name,
            kolada_id=record.kolada_id,
        )

    def _path(self, tail: str) -> str:
        return f"/api/v1/municipalities/{self.id}/{tail}"

    @strawberry.field(description="The municipality as an org unit (the root of its tree).")
    async def org_unit(self, info: Info) -> OrgUnit | None:
        return OrgUnit.from_record(await info.context.loaders.org.unit.load(str(self.id)))

    @strawberry.field(description="Its fiscal years and their follow-up months (budget).")
    async def fiscal_years(self, info: Info) -> list[FiscalYear] | None:
        data = await info.context.upstream.get(Service.BUDGET, self._path("fiscal-years"))
        return [
            FiscalYear(year=r.year, follow_up_months=r.follow_up_months, closed=r.closed)
            for r in parse(FiscalYearList, Service.BUDGET, data).root
        ]

    @strawberry.field(
        description="Its case categories: the national list with its own codes, labels and "
        "retirements (deviations)."
    )
    async def deviation_categories(
        self,
        info: Info,
        year: Annotated[
            int | None,
            strawberry.argument(description="Only the codes valid in this year; null: all."),
        ] = None,
    ) -> list[DeviationCategory] | None:
        data = await info.context.upstream.get(
            Service.DEVIATIONS, self._path("categories"), {"year": year}
        )
        return [
            DeviationCategory(
                code=r.code,
                label=r.label,
                group=r.group,
                valid_from_year=r.valid_from_year,
                valid_to_year=r.valid_to_year,
                source=r.source,
                national_label=r.national_label,
            )
            for r in parse(CategoryList, Service.DEVIATIONS, data).root
        ]

    @strawberry.field(description="How it numbers and receives cases (deviations).")
    async def case_settings(self, info: Info) -> CaseSettings | None:
        data = await info.context.upstream.get(Service.DEVIATIONS, self._path("case-settings"))
        record = parse(CaseSettingsRecord, Service.DEVIATIONS, data)
        document = record.settings
        return CaseSettings(
            reference_format=document.reference_format,
            series_scope=document.series_scope,
            intake_unit_id=(
                strawberry.ID(document.intake_unit_id) if document.intake_unit_id else None
            ),
            suppression_threshold=document.suppression_threshold,
            stored=record.stored,
            updated_at=record.updated_at,
        )


@strawberry.type
class MunicipalityQueries:
    @strawberry.field(
        description="The municipalities you work in (all of them for the deployment's operator)."
    )
    async def municipalities(self, info: Info) -> list[Municipality] | None:
        data = await info.context.upstream.get(Service.GOALS, "/api/v1/municipalities")
        return [
            Municipality.from_record(r) for r in parse(MunicipalityList, Service.GOALS, data).root
        ]

    @strawberry.field(description="One municipality by id; a NOT_FOUND error when there is none.")
    async def municipality(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The municipality's id, e.g. `oxelosund`."),
        ],
    ) -> Municipality | None:
        data = await info.context.upstream.get(Service.GOALS, f"/api/v1/municipalities/{id}")
        return Municipality.from_record(parse(MunicipalityRecord, Service.GOALS, data))
