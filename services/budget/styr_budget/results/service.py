"""Reported results: store a unit's result with its explanations; list and reconcile them with
the ledger (the summary's result against the allocation)."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_budget.amounts import MoneyUnit, present
from styr_budget.common import check_scope, find_unit, require_unit, subtree
from styr_budget.dimensions import service as dimensions
from styr_budget.results.models import ResultExplanation, ResultReport
from styr_budget.results.schemas import ExplanationRead, ReportList, ReportRead, ReportWrite
from styr_budget.summaries import service as summaries
from styr_budget.summaries.schemas import BudgetBasis, GroupBy
from styr_shared.auth import Principal
from styr_shared.errors import InvalidFieldError
from styr_shared.orgreplica.models import ReplicaOrgUnit
from styr_shared.tenancy import ReadScope

ZERO = Decimal(0)


async def put_report(
    session: AsyncSession,
    org_unit_id: str,
    year: int,
    month: int,
    data: ReportWrite,
    actor: Principal,
) -> None:
    unit = await require_unit(session, org_unit_id, "path.org_unit_id")
    municipality_id = unit.municipality_id
    await dimensions.require_year(session, municipality_id, year, "path.year")
    codes = await dimensions.activity_codes(session, municipality_id)
    for index, item in enumerate(data.explanations):
        if item.activity_code is not None and item.activity_code not in codes:
            raise InvalidFieldError(
                f"body.explanations.{index}.activity_code", "unknown activity code"
            )
    await check_scope(session, actor, org_unit_id)
    existing = (
        await session.exec(
            select(ResultReport).where(
                col(ResultReport.org_unit_id) == org_unit_id,
                col(ResultReport.year) == year,
                col(ResultReport.month) == month,
            )
        )
    ).first()
    if existing is not None:
        await session.exec(
            delete(ResultExplanation).where(col(ResultExplanation.report_id) == existing.id)
        )
        await session.delete(existing)
        await session.flush()
    report = ResultReport(
        org_unit_id=org_unit_id,
        year=year,
        month=month,
        result=data.result,
        comment=data.comment,
        created_by=actor.subject,
    )
    session.add(report)
    await session.flush()
    assert report.id is not None
    session.add_all(
        ResultExplanation(
            report_id=report.id,
            municipality_id=municipality_id,
            position=position,
            label=item.label,
            activity_code=item.activity_code,
            amount=item.amount,
            cause=item.cause,
        )
        for position, item in enumerate(data.explanations)
    )
    await session.commit()


async def list_reports(
    session: AsyncSession,
    org_unit_id: str,
    year: int,
    month: int,
    unit: MoneyUnit,
    scope: ReadScope,
) -> ReportList:
    await find_unit(session, org_unit_id, scope)
    units = await subtree(session, org_unit_id)
    reports = (
        await session.exec(
            select(ResultReport)
            .where(
                col(ResultReport.org_unit_id).in_(units),
                col(ResultReport.year) == year,
                col(ResultReport.month) == month,
            )
            .order_by(col(ResultReport.org_unit_id))
        )
    ).all()
    ids = [report.id for report in reports]
    explanations = (
        await session.exec(
            select(ResultExplanation)
            .where(col(ResultExplanation.report_id).in_(ids))
            .order_by(col(ResultExplanation.report_id), col(ResultExplanation.position))
        )
    ).all()
    names = {
        row.id: row.name
        for row in (
            await session.exec(
                select(ReplicaOrgUnit).where(
                    col(ReplicaOrgUnit.id).in_([r.org_unit_id for r in reports])
                )
            )
        ).all()
    }
    items: list[ReportRead] = []
    for report in reports:
        own = [e for e in explanations if e.report_id == report.id]
        explained = sum((e.amount for e in own), ZERO)
        items.append(
            ReportRead(
                org_unit_id=report.org_unit_id,
                org_unit_name=names.get(report.org_unit_id),
                year=report.year,
                month=report.month,
                result=present(report.result, unit) or ZERO,
                comment=report.comment,
                explanations=[
                    ExplanationRead(
                        label=e.label,
                        activity_code=e.activity_code,
                        amount=present(e.amount, unit) or ZERO,
                        cause=e.cause,
                    )
                    for e in own
                ],
                explained=present(explained, unit) or ZERO,
                unexplained=present(report.result - explained, unit) or ZERO,
                created_by=report.created_by,
                created_at=report.created_at,
            )
        )
    summary = await summaries.summarize(
        session,
        org_unit_id=org_unit_id,
        year=year,
        period=month,
        group_by=GroupBy.NONE,
        basis=BudgetBasis.REVISED,
        unit=unit,
        forecast_month=None,
        kinds=None,
        scope=scope,
    )
    return ReportList(
        org_unit_id=org_unit_id,
        year=year,
        month=month,
        unit=unit,
        reports=items,
        reported_total=present(sum((r.result for r in reports), ZERO), unit) or ZERO,
        ledger_result=summary.total.result_deviation,
    )
