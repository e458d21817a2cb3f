"""The internal control plans (intern kontroll) of the goals service as the gateway reads them:
the records it answers and the request's loaders, so that the plans of many org units, and the
processes and reports of many plans, are one call each (per hundred keys).

- plans of several units: ``/internal-control-plans?org_unit_id=a&org_unit_id=b&year=`` per
  year asked for;
- processes (with risks, controls, results) of several plans:
  ``/internal-control-processes?plan_id=a&plan_id=b``;
- reports of several plans: ``/internal-control-reports?id=a&id=b``.

A mutation's answer primes the loaders, so the plan it returns is not read again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import Field
from strawberry.dataloader import DataLoader

from styr_gateway.errors import UpstreamError
from styr_gateway.loaders import MAX_IDS, SLUG_ID, UNIT_ID, not_found, parse
from styr_gateway.records import Record
from styr_gateway.upstream import Params, Service, UpstreamSession

PLANS = "/api/v1/internal-control-plans"

# --- what the goals service answers -------------------------------------------------------


class ResultRecord(Record):
    outcome: str
    comment: str | None = None
    actions: str | None = None
    action_responsible: str | None = None
    action_due: date | None = None
    reported_by: str
    reported_at: datetime


class ControlRecord(Record):
    id: int
    method: str
    frequency: str
    responsible: str
    timing: str
    result: ResultRecord | None = None


class RiskRecord(Record):
    id: int
    process_id: int
    title: str
    description: str | None = None
    probability: int
    consequence: int
    risk_value: int
    financial: bool
    needs_control: bool
    controls: list[ControlRecord] = Field(default_factory=list)


class ProcessRecord(Record):
    id: int
    plan_id: str
    name: str
    description: str | None = None
    risks: list[RiskRecord] = Field(default_factory=list)


class PlanSummaryRecord(Record):
    id: str
    org_unit_id: str
    year: int
    name: str
    risk_threshold: int
    adopted_on: date | None = None
    decision: str | None = None
    summary: str | None = None


class PlanRecord(PlanSummaryRecord):
    processes: list[ProcessRecord] = Field(default_factory=list)


class RiskValueCountRecord(Record):
    risk_value: int
    count: int


class TotalsRecord(Record):
    controls: int
    no_remark: int
    remark: int
    not_reported: int


class ControlRowRecord(Record):
    control_id: int
    process: str
    risk: str
    risk_value: int
    financial: bool
    method: str
    responsible: str
    outcome: str | None = None
    actions: str | None = None


class ReportRecord(Record):
    plan: PlanSummaryRecord
    processes: int
    risks: int
    distribution: list[RiskValueCountRecord]
    risks_needing_control: int
    risks_without_control: list[int]
    totals: TotalsRecord
    financial: TotalsRecord
    controls: list[ControlRowRecord]


# --- loaders ----------------------------------------------------------------------------------

ControlPlansKey = tuple[str, int | None]
"""(org unit id, year or None)."""


def _chunks(keys: Sequence[str]) -> list[list[str]]:
    return [list(keys[start : start + MAX_IDS]) for start in range(0, len(keys), MAX_IDS)]


class InternalControlLoaders:
    """Internal control plans, their processes and reports, batched per level of a query."""

    def __init__(self, session: UpstreamSession) -> None:
        self._session = session
        self.plans = DataLoader[ControlPlansKey, list[PlanSummaryRecord]](self._load_plans)
        self.processes = DataLoader[str, list[ProcessRecord]](self._load_processes)
        self.report = DataLoader[str, ReportRecord](self._load_reports)

    def remember(self, plan: PlanRecord) -> None:
        """A plan as a write answered it (after :meth:`forget_all`): its processes need no
        further read."""
        self.processes.prime(plan.id, plan.processes)

    def forget_all(self) -> None:
        """A write changed a plan: later reads in the request ask the service again."""
        for loader in (self.plans, self.processes, self.report):
            loader.clear_all()

    async def _items(self, path: str, params: Params) -> list[dict[str, Any]]:
        return await self._session.all_items(Service.GOALS, path, params)

    async def _load_plans(self, keys: list[ControlPlansKey]) -> list[list[PlanSummaryRecord]]:
        years = sorted({year for _, year in keys}, key=lambda year: year or 0)
        calls = [
            (year, chunk)
            for year in years
            for chunk in _chunks(
                sorted({unit for unit, y in keys if y == year and UNIT_ID.match(unit)})
            )
        ]
        pages = await asyncio.gather(
            *(self._items(PLANS, {"org_unit_id": chunk, "year": year}) for year, chunk in calls)
        )
        found: dict[ControlPlansKey, list[PlanSummaryRecord]] = {}
        for (year, _), items in zip(calls, pages, strict=True):
            for item in items:
                plan = parse(PlanSummaryRecord, Service.GOALS, item)
                found.setdefault((plan.org_unit_id, year), []).append(plan)
        return [sorted(found.get(key, []), key=lambda plan: plan.year) for key in keys]

    async def _load_processes(self, plan_ids: list[str]) -> list[list[ProcessRecord]]:
        wanted = [plan_id for plan_id in plan_ids if SLUG_ID.match(plan_id)]
        pages = await asyncio.gather(
            *(
                self._items("/api/v1/internal-control-processes", {"plan_id": chunk})
                for chunk in _chunks(wanted)
            )
        )
        by_plan: dict[str, list[ProcessRecord]] = {}
        for items in pages:
            for item in items:
                process = parse(ProcessRecord, Service.GOALS, item)
                by_plan.setdefault(process.plan_id, []).append(process)
        return [by_plan.get(plan_id, []) for plan_id in plan_ids]

    async def _load_reports(self, plan_ids: list[str]) -> list[ReportRecord | BaseException]:
        wanted = [plan_id for plan_id in plan_ids if SLUG_ID.match(plan_id)]
        try:
            pages = await asyncio.gather(
                *(
                    self._items("/api/v1/internal-control-reports", {"id": chunk})
                    for chunk in _chunks(wanted)
                )
            )
        except UpstreamError as exc:
            return [exc] * len(plan_ids)
        reports = (parse(ReportRecord, Service.GOALS, item) for items in pages for item in items)
        by_plan = {report.plan.id: report for report in reports}
        return [
            by_plan.get(plan_id) or not_found(Service.GOALS, "Internal control plan", plan_id)
            for plan_id in plan_ids
        ]
