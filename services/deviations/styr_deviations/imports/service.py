"""Import historical cases: validate every row first, keep the good ones, report the rest.

Keyed on ``external_id`` (per municipality): a row whose id was imported before corrects that
case (closed ones too) to what the row says, each changed field in the case's history, and
changes nothing when the row is the same; so an interrupted import can simply be run again,
and a corrected export imported over the first. A case an admin withdrew as wrongly imported
stays withdrawn. All good rows are written in one transaction.
"""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.cases import access, corrections
from styr_deviations.cases import service as cases
from styr_deviations.cases.models import Case
from styr_deviations.cases.references import assign_references
from styr_deviations.cases.schemas import CaseCreate
from styr_deviations.cases.service import Rules, record_created, rules_for
from styr_deviations.casesettings.service import committee_of
from styr_deviations.context import Context
from styr_deviations.imports.schemas import ImportResult, ImportRow, RowError
from styr_shared.auth import Principal
from styr_shared.errors import FieldError, ProblemError
from styr_shared.jsonlimits import unstorable
from styr_shared.orgreplica import ReplicaOrgUnit, refresh_for

MAX_ROWS = 20_000
YIELD_EVERY = 100
FLUSH_EVERY = 1_000


@dataclass(frozen=True)
class RowProblem:
    """A CSV record that cannot be trusted as a row (see :func:`_csv_rows`): reported."""

    message: str
    external_id: str | None


Rows = list[dict[str, Any] | RowProblem]


def parse(body: bytes, content_type: str) -> Rows:
    """Rows from a JSON (`{"rows": [...]}` or a list) or CSV (header row) body."""
    media = content_type.split(";")[0].strip().lower()
    rows: Rows
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProblemError("The body is not UTF-8.", slug="bad-encoding") from exc
    if media in ("text/csv", "application/csv"):
        rows = _csv_rows(text)
    elif media == "application/json":
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise ProblemError("The body is not valid JSON.", slug="malformed-json") from exc
        candidate = document.get("rows") if isinstance(document, dict) else document
        if not isinstance(candidate, list) or not all(isinstance(r, dict) for r in candidate):
            raise ProblemError(
                'Send a list of objects, or {"rows": [...]}.', status=422, slug="validation-error"
            )
        rows = list(candidate)
    else:
        raise ProblemError(
            "Send text/csv or application/json.", status=415, slug="unsupported-media-type"
        )
    if len(rows) > MAX_ROWS:
        raise ProblemError(f"At most {MAX_ROWS} rows per import.", status=413, slug="too-many-rows")
    return rows


MAX_HEADER_CELL = 100


def _malformed(detail: str) -> ProblemError:
    return ProblemError(detail, status=422, slug="malformed-csv")


class _LineFeed:
    """The lines of a text from ``position`` on, counting what the CSV reader took."""

    def __init__(self, lines: list[str], position: int) -> None:
        self.lines, self.position = lines, position

    def __iter__(self) -> Iterator[str]:
        while self.position < len(self.lines):
            self.position += 1
            yield self.lines[self.position - 1]


def _csv_rows(text: str) -> Rows:
    """Rows of a CSV text; every record is a row or a reported problem, none is dropped.

    A quote left open swallows the lines after it into one field, up to the next quote (once,
    from a real file, a whole row went into a description and the import said
    ``failed: 0``). A field may span lines only when none of its continuation lines looks
    like a row of its own (as many commas as the header); otherwise, and for a record the
    reader cannot read (a quote never closed, text after a closing quote), the record's first
    line is reported and reading starts afresh on the next line, so the rows after it count.
    """
    lines = text.splitlines(keepends=True)
    if not lines:
        raise _malformed("The CSV is empty; a header row is required.")
    try:
        header = next(csv.reader(lines[:1], strict=True), [])
    except csv.Error as exc:
        raise _malformed(f"The CSV header is unreadable: {exc}") from exc
    if not header:
        raise _malformed("The CSV is empty; a header row is required.")
    long_cells = [cell for cell in header if len(cell) > MAX_HEADER_CELL]
    if long_cells:
        raise _malformed(
            f"A header cell is longer than {MAX_HEADER_CELL} characters: {long_cells[0][:40]!r}…"
        )
    unknown = [cell for cell in header if cell.strip() not in ImportRow.model_fields]
    if unknown:
        # a header of no known column is no header (e.g. a bare number posted as CSV)
        raise _malformed(
            f"Unknown columns in the CSV header: {', '.join(repr(c[:40]) for c in unknown[:10])}."
        )
    separators = len(header) - 1
    rows: Rows = []
    position = 1
    while position < len(lines):
        start = position
        feed = _LineFeed(lines, start)
        problem = None
        try:
            record = next(csv.reader(feed, strict=True), None)
        except csv.Error as exc:
            record, problem = [], f"unreadable CSV from line {start + 1}: {exc}"
        if record is None:
            break
        position = feed.position
        if problem is None and len(record) > len(header):
            problem = f"{len(record)} cells where the header has {len(header)}"
        elif (
            problem is None
            and position - start > 1
            and any(
                line.count(",") >= separators > 0
                for cell in record
                for line in cell.splitlines()[1:]
            )
        ):
            problem = (
                f"a quote opened on line {start + 1} runs on to line {position}, over lines "
                "that look like rows of their own; check the quoting"
            )
        if problem is not None:
            first = next(csv.reader([lines[start].replace('"', "")]), [""])
            external_id = first[header.index("external_id")] if "external_id" in header else ""
            rows.append(RowProblem(problem, external_id[:100] or None))
            position = start + 1  # read afresh from the next line
            continue
        if not "".join(record).strip():
            continue
        # Fewer cells than the header: the missing ones are empty (as trailing commas would be).
        rows.append({k: v for k, v in zip(header, record, strict=False) if v != ""})
    return rows


def _errors(exc: ValidationError) -> list[FieldError]:
    return [
        FieldError(
            field=".".join(str(p) for p in err["loc"]) or "row",
            message=err["msg"],
            type=err["type"],
        )
        for err in exc.errors()
    ]


@dataclass(frozen=True)
class _Imported:
    """A case imported before, as a re-import of its external id needs it."""

    case_id: int
    withdrawn: bool
    org_unit_id: str


async def _existing(session: AsyncSession, rows: Rows) -> dict[tuple[str, str], _Imported]:
    """(municipality, external id) → the case, for the rows' ids imported before."""
    external_ids = {
        str(r.get("external_id"))
        for r in rows
        if isinstance(r, dict) and isinstance(r.get("external_id"), str | int)
    }
    # Looked up before the rows are validated: an id the database cannot hold (a NUL) is
    # left to its row's validation error rather than failing the query.
    external_ids = {value for value in external_ids if not unstorable(value)}
    if not external_ids:
        return {}
    found = await session.exec(
        select(
            *(
                col(getattr(Case, name))
                for name in (
                    "municipality_id",
                    "external_id",
                    "id",
                    "import_withdrawn_at",
                    "org_unit_id",
                )
            )
        ).where(col(Case.external_id).in_(sorted(external_ids)))
    )
    return {
        (str(municipality), str(external)): _Imported(
            int(case_id or 0), withdrawn is not None, str(unit)
        )
        for municipality, external, case_id, withdrawn, unit in found
    }


async def run_import(
    session: AsyncSession, ctx: Context, principal: Principal, rows: Rows
) -> ImportResult:
    existing = await _existing(session, rows)
    seen: set[tuple[str, str]] = set()  # ids of this import: a repeat is left unchanged
    checker = _Checker(session, principal)
    await checker.load()
    errors: list[RowError] = []
    built: list[tuple[ImportRow, Case]] = []
    again: list[tuple[ImportRow, int, Case]] = []  # re-imported: (row, case id, as imported now)
    unchanged = withdrawn = 0
    for index, raw in enumerate(rows):
        if index % YIELD_EVERY == 0:
            # Checking a row awaits nothing that waits (lookups are cached): let the loop
            # answer others (health probes) between rows of a 20,000-row import.
            await asyncio.sleep(0)
        if isinstance(raw, RowProblem):
            problem = FieldError(field="row", message=raw.message, type="malformed_csv")
            errors.append(RowError(row=index, external_id=raw.external_id, errors=[problem]))
            continue
        external_id = str(raw["external_id"])[:100] if "external_id" in raw else None
        try:
            row = ImportRow.model_validate(raw)
        except ValidationError as exc:
            errors.append(RowError(row=index, external_id=external_id, errors=_errors(exc)))
            continue
        municipality_id = await checker.municipality_of(row.org_unit_id)
        key = (municipality_id or "", row.external_id)
        if municipality_id is not None and key in seen:
            unchanged += 1
            continue
        previous = existing.get(key) if municipality_id is not None else None
        if previous is not None and not await checker.in_scope(previous.org_unit_id):
            # a correction may not reach a case outside the importer's scope
            problem = FieldError(
                field="external_id",
                message="imported before on an org unit outside your scope",
                type="forbidden",
            )
            errors.append(RowError(row=index, external_id=row.external_id, errors=[problem]))
            continue
        if previous is not None and previous.withdrawn:
            withdrawn += 1
            seen.add(key)
            continue
        problems = await checker.check(
            row, municipality_id, own_case=previous.case_id if previous else None
        )
        if not problems and municipality_id is not None:
            rules = await checker.rules(municipality_id)
            try:
                case = await _build(session, ctx, principal, row, rules)
            except ProblemError as exc:
                problems = [
                    FieldError(field=e.field.removeprefix("body."), message=e.message, type=e.type)
                    for e in exc.errors or []
                ] or [FieldError(field="row", message=exc.detail, type="invalid")]
            else:
                if previous is None:
                    built.append((row, case))
                else:
                    again.append((row, previous.case_id, case))
        if problems or municipality_id is None:
            errors.append(RowError(row=index, external_id=row.external_id, errors=problems))
            continue
        seen.add(key)

    # Serials are reserved only for rows that are certainly stored, so the series stay
    # gap-free; all good rows go in with one flush and one commit.
    cases = [case for _, case in built]
    numbered: dict[str, list[Case]] = {}
    for case in cases:
        if not case.reference_number:
            numbered.setdefault(case.municipality_id, []).append(case)
    for municipality_id in sorted(numbered):
        rules = await checker.rules(municipality_id)
        await assign_references(session, municipality_id, rules.settings, numbered[municipality_id])
    for first in range(0, len(cases), FLUSH_EVERY):
        batch = cases[first : first + FLUSH_EVERY]
        session.add_all(batch)
        await session.flush()
        for case in batch:
            record_created(session, case, principal.subject)
        await session.flush()
    corrected_ids = await _correct(session, ctx, principal, again)
    await session.commit()
    return ImportResult(
        created=len(built),
        corrected=len(corrected_ids),
        unchanged=unchanged + len(again) - len(corrected_ids),
        withdrawn=withdrawn,
        failed=len(errors),
        errors=errors,
        created_ids=[row.external_id for row, _ in built],
        corrected_ids=corrected_ids,
    )


async def _correct(
    session: AsyncSession,
    ctx: Context,
    principal: Principal,
    again: list[tuple[ImportRow, int, Case]],
) -> list[str]:
    """Correct the cases of re-imported rows (in batches); the external ids that changed."""
    corrected: list[str] = []
    for first in range(0, len(again), FLUSH_EVERY):
        batch = again[first : first + FLUSH_EVERY]
        loaded = await session.exec(
            select(Case).where(col(Case.id).in_([case_id for _, case_id, _ in batch]))
        )
        stored = {case.id: case for case in loaded}
        for row, case_id, fresh in batch:
            if corrections.correct_from_import(
                session, ctx, stored[case_id], fresh, principal.subject
            ):
                corrected.append(row.external_id)
        await session.flush()
    return corrected


class _Checker:
    """Row checks against the replica, the municipalities' rules and existing references,
    cached per import. A unit the replica does not know pulls the org feed once per import
    (a unit created in the goals service a moment ago), not once per row."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session, self.principal = session, principal
        self.municipality: dict[str, str] = {}  # unit → its municipality
        self.pulled = False
        self.scope: dict[str, bool] = {}
        self.committee: dict[str, bool] = {}
        self.references: set[tuple[str, str]] = set()
        self._rules: dict[str, Rules] = {}

    async def load(self) -> None:
        rows = await self.session.exec(select(ReplicaOrgUnit.id, ReplicaOrgUnit.municipality_id))
        self.municipality = {str(unit): str(municipality) for unit, municipality in rows}

    async def municipality_of(self, unit_id: str) -> str | None:
        if unit_id not in self.municipality and not self.pulled:
            self.pulled = True
            if await refresh_for(self.session):
                await self.load()
        return self.municipality.get(unit_id)

    async def in_scope(self, unit_id: str) -> bool:
        if unit_id not in self.scope:
            self.scope[unit_id] = await access.in_scope(self.session, self.principal, unit_id)
        return self.scope[unit_id]

    async def rules(self, municipality_id: str) -> Rules:
        if municipality_id not in self._rules:
            self._rules[municipality_id] = await rules_for(self.session, municipality_id)
        return self._rules[municipality_id]

    async def check(
        self, row: ImportRow, municipality_id: str | None, own_case: int | None = None
    ) -> list[FieldError]:
        """The row's problems; ``own_case``: the case a re-imported row corrects (its own
        reference number is no duplicate)."""
        if municipality_id is None:
            return [FieldError(field="org_unit_id", message="unknown org unit", type="invalid")]
        problems: list[FieldError] = []
        if not await self.in_scope(row.org_unit_id):
            problems.append(
                FieldError(field="org_unit_id", message="outside your scope", type="forbidden")
            )
        if row.reference_number is not None:
            taken = await self.session.exec(
                select(Case.id).where(
                    col(Case.municipality_id) == municipality_id,
                    col(Case.reference_number) == row.reference_number,
                    col(Case.id) != (own_case or 0),
                )
            )
            key = (municipality_id, row.reference_number)
            if key in self.references or taken.first() is not None:
                problems.append(
                    FieldError(field="reference_number", message="already used", type="duplicate")
                )
            self.references.add(key)
        elif (await self.rules(municipality_id)).settings.reference.uses_committee:
            if row.org_unit_id not in self.committee:
                found = await committee_of(self.session, row.org_unit_id)
                self.committee[row.org_unit_id] = found is not None
            if not self.committee[row.org_unit_id]:
                problems.append(
                    FieldError(
                        field="org_unit_id",
                        message="no committee above the unit, and its municipality numbers "
                        "its cases per committee",
                        type="invalid",
                    )
                )
        return problems


async def _build(
    session: AsyncSession, ctx: Context, principal: Principal, row: ImportRow, rules: Rules
) -> Case:
    data = CaseCreate.model_construct(
        kind=row.kind,
        law_area=row.law_area,
        regime=row.regime,
        category=row.category,
        feedback_type=row.feedback_type,
        housing_type=row.housing_type,
        external_direction=row.external_direction,
        external_party=row.external_party,
        external_date=row.external_date,
        external_answered_on=row.external_answered_on,
        event_time=row.event_time,
        reported_at=row.reported_at,
        org_unit_id=row.org_unit_id,
        channel=row.channel,
        reporter_type=row.reporter_type,
        reporter=None,
        description=row.description,
        immediate_actions=row.immediate_actions,
        person=None,
    )
    case = await cases.build_case(
        session,
        ctx,
        data,
        actor=principal,
        rules=rules,
        external_id=row.external_id,
        legacy_reference=row.reference_number,
        state=row.state,
        unit_checked=True,
    )
    case.received_at = row.received_at or (row.reported_at if row.state != "registered" else None)
    case.answered_at = row.answered_at
    case.answer_summary = row.answer_summary
    case.closed_at = row.closed_at
    case.lm_report_to_ivo = row.lex_maria_report_to_ivo
    case.lm_ivo_report_date = row.lex_maria_ivo_report_date
    case.lm_ivo_case_number = row.lex_maria_ivo_case_number
    case.investigation_outcome = row.investigation_outcome
    if row.lex_maria_report_to_ivo is not None:
        case.regime = "lex_maria"
    return case
