"""Checking one source row against the stored measures and units, fast.

A :class:`Catalogue` is loaded once per import (measures, units, closed periods, the caller's
writable units) so that validating a million rows is dictionary look-ups, not queries. The
rules are those of the single-value write path (:func:`styr_goals.measures.service.write_value`):
the unit must exist and be in the caller's scope, the period must fit the measure's
periodicity, segments and gender must fit the measure, numerator and denominator go together,
and a closed period needs a controller.

An import acts in one municipality (:func:`import_scope`): codes name units and measures of
that municipality, and a unit of another is rejected. An importer who works in several and
names none has codes looked up in all of its municipalities, and a code found in two of
them is a rejected row (use the id, or name the municipality), never a guess. A measure and
the unit of its value are always of the same municipality.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals.imports.parsing import RowError, SkippedRow, SourceRow
from styr_goals.measures.models import Measure, MeasureDefinition, ValuePeriodLock
from styr_goals.measures.periods import Period, PeriodError, parse_period
from styr_goals.measures.service import CLOSED_PERIOD_WRITERS, VALUE_WRITERS
from styr_goals.orgunits.models import OrgUnit
from styr_shared.auth import Principal
from styr_shared.errors import InvalidFieldError
from styr_shared.numbers import NumberError, parse_decimal
from styr_shared.tenancy import municipalities_in_scope, resolve_municipality

STATES = {
    "preliminary": "preliminary",
    "preliminär": "preliminary",
    "final": "final",
    "slutlig": "final",
}
GENDERS = {"T": "T", "K": "K", "M": "M", "F": "K"}
MAX_ABS = Decimal(10) ** 14  # Numeric(18, 4)
MAX_COMMENT = 20000
AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class ImportScope:
    """Where an import's codes are looked up (``municipalities``) and, when it acts in one
    municipality, which (``bound``: units of any other are rejected)."""

    municipalities: frozenset[str]
    bound: str | None


async def import_scope(
    session: AsyncSession, actor: Principal, requested: str | None
) -> ImportScope:
    """The municipality an import acts in: the one named (``query.municipality``; 422 when
    unknown, 403 outside the importer's scope), else the only one the importer works in or
    the deployment has. An importer in several that names none gets all of them, with
    ambiguous codes rejected row by row."""
    try:
        one = await resolve_municipality(session, OrgUnit, actor, requested, "query.municipality")
    except InvalidFieldError:
        if requested is not None:
            raise
        touched = await municipalities_in_scope(session, OrgUnit, actor)
        if not touched:
            roots = select(OrgUnit.id).where(col(OrgUnit.parent_id).is_(None))
            touched = set((await session.exec(roots)).all())
        return ImportScope(frozenset(touched), None)
    return ImportScope(frozenset({one}), one)


@dataclass(slots=True, frozen=True)
class MeasureInfo:
    id: str
    municipality: str
    periodicity: str
    point_in_time: str | None
    segments: frozenset[str]
    gender_split: bool
    definitions: tuple[tuple[int, int], ...]  # (valid_from_year, version), newest first
    # A text measure's values are texts, written one by one (``PUT /measures/{id}/values``).
    qualitative: bool = False

    def definition_version(self, year: int) -> int:
        if not self.definitions:
            return 1
        return next((version for start, version in self.definitions if start <= year), 1)


@dataclass(slots=True)
class ValueRow:
    row: int
    measure_id: str
    org_unit_id: str
    period: str
    period_end: date
    year: int
    segment: str
    gender: str
    value: Decimal
    numerator: Decimal | None
    denominator: Decimal | None
    state: str
    comment: str | None
    definition_version: int
    closed: bool

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.measure_id, self.org_unit_id, self.period, self.segment, self.gender)


class Catalogue:
    """What a row is checked against, loaded once per import."""

    def __init__(self, scope: ImportScope) -> None:
        self.scope = scope
        self.measures: dict[str, MeasureInfo] = {}
        self.measure_codes: dict[str, list[str]] = defaultdict(list)
        self.kolada_kpis: dict[str, list[str]] = defaultdict(list)
        self.units: dict[str, str] = {}  # id -> municipality
        self.unit_codes: dict[str, dict[str, str]] = defaultdict(dict)  # code -> {m: id}
        self.kolada_units: dict[str, list[str]] = defaultdict(list)
        self.parents: dict[str, str | None] = {}
        self.closed_through: dict[str, date] = {}
        self.writable: set[str] = set()
        self.may_write_closed = False
        # Reject (instead of skipping) gender rows of a measure without a gender split.
        self.strict = False
        self._periods: dict[tuple[str, str, str | None], Period | str] = {}
        self._measure_cache: dict[tuple[str, bool, str | None], MeasureInfo | tuple[str]] = {}
        self._unit_cache: dict[tuple[str, bool], str | tuple[str]] = {}

    @classmethod
    async def load(
        cls, session: AsyncSession, actor: Principal, scope: ImportScope | None = None
    ) -> Catalogue:
        catalogue = cls(scope or await import_scope(session, actor, None))
        for unit in (await session.exec(select(OrgUnit))).all():
            catalogue.units[unit.id] = unit.municipality_id
            catalogue.unit_codes[unit.code][unit.municipality_id] = unit.id
            catalogue.parents[unit.id] = unit.parent_id
            if unit.kolada_id:
                catalogue.kolada_units[unit.kolada_id.upper()].append(unit.id)
        definitions: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for definition in (await session.exec(select(MeasureDefinition))).all():
            definitions[definition.measure_id].append(
                (definition.valid_from_year, definition.version)
            )
        for measure in (await session.exec(select(Measure))).all():
            catalogue.measures[measure.id] = MeasureInfo(
                id=measure.id,
                municipality=catalogue.units[measure.org_unit_id],
                periodicity=measure.periodicity,
                point_in_time=measure.point_in_time,
                segments=frozenset(measure.segments),
                gender_split=measure.gender_split,
                definitions=tuple(sorted(definitions[measure.id], reverse=True)),
                qualitative=measure.unit_kind == "text",
            )
            catalogue.measure_codes[measure.code].append(measure.id)
            if measure.kolada_kpi_id:
                catalogue.kolada_kpis[measure.kolada_kpi_id.upper()].append(measure.id)
        locks = (await session.exec(select(ValuePeriodLock))).all()
        own_locks = {lock.org_unit_id: lock.closed_through for lock in locks}
        for unit_id in catalogue.units:
            dates = [own_locks[u] for u in catalogue.lineage(unit_id) if u in own_locks]
            if dates:
                catalogue.closed_through[unit_id] = max(dates)
        if actor.has_any_role(*VALUE_WRITERS):
            catalogue.writable = {u for u in catalogue.units if actor.covers(catalogue.lineage(u))}
        catalogue.may_write_closed = actor.has_any_role(*CLOSED_PERIOD_WRITERS)
        return catalogue

    def lineage(self, unit_id: str) -> list[str]:
        chain: list[str] = []
        current: str | None = unit_id
        while current is not None and current not in chain:
            chain.append(current)
            current = self.parents.get(current)
        return chain

    def _period(self, raw: str, measure: MeasureInfo) -> Period | str:
        # A night's file repeats a handful of periods a million times: parse each once.
        key = (raw, measure.periodicity, measure.point_in_time)
        cached = self._periods.get(key)
        if cached is None:
            try:
                cached = parse_period(raw, measure.periodicity, measure.point_in_time)
            except PeriodError as exc:
                cached = str(exc)
            self._periods[key] = cached
        return cached

    @staticmethod
    def _one(ids: list[str], what: str) -> str | tuple[str]:
        if not ids:
            return (f"unknown {what}",)
        if len(ids) > 1:
            return (f"{AMBIGUOUS} {what}: use the id",)
        return ids[0]

    def _measure(self, raw: str, kolada: bool, home: str | None) -> MeasureInfo | tuple[str]:
        """The measure a row names: by id, or by code (or Kolada KPI) among the measures of
        the row's unit's municipality (``home``), else of the import's municipalities."""
        # A file names the same few thousand measures and units a million times: resolve
        # each spelling once. A 1-tuple holds the reason a spelling does not resolve.
        key = (raw, kolada, home)
        found = self._measure_cache.get(key)
        if found is None:
            text = raw.strip()
            places = {home} if home is not None else self.scope.municipalities
            if kolada:
                measure_id = self._one(
                    self._in(self.kolada_kpis.get(text.upper(), []), places),
                    "Kolada KPI (no measure has it)",
                )
            elif text in self.measures:
                measure_id = text
            else:
                measure_id = self._one(
                    self._in(self.measure_codes.get(text, []), places), "measure"
                )
            found = measure_id if isinstance(measure_id, tuple) else self.measures[measure_id]
            self._measure_cache[key] = found
        return found

    def _in(self, measure_ids: list[str], places: set[str] | frozenset[str]) -> list[str]:
        return [m for m in measure_ids if self.measures[m].municipality in places]

    def _unit(self, raw: str, kolada: bool) -> str | tuple[str]:
        key = (raw, kolada)
        found = self._unit_cache.get(key)
        if found is None:
            text = raw.strip()
            places = self.scope.municipalities
            if kolada:
                found = self._one(
                    [u for u in self.kolada_units.get(text.upper(), []) if self.units[u] in places],
                    "Kolada municipality/OU (no org unit has it)",
                )
            elif text in self.units:
                found = text
            else:
                holders = {m: u for m, u in self.unit_codes.get(text, {}).items() if m in places}
                if len(holders) > 1:
                    names = ", ".join(sorted(holders))
                    found = (
                        f"{AMBIGUOUS} org unit code: it names a unit in {names}; use the id or "
                        "name the municipality (municipality=)",
                    )
                else:
                    found = next(iter(holders.values()), None) or ("unknown org unit",)
            bound = self.scope.bound
            if isinstance(found, str) and bound is not None and self.units[found] != bound:
                found = (f"not in municipality {bound!r}, which this import writes to",)
            if isinstance(found, str) and found not in self.writable:
                found = ("outside your scope (or your roles do not write values)",)
            self._unit_cache[key] = found
        return found

    def resolve(self, source: SourceRow) -> ValueRow | RowError | SkippedRow:
        """Validate one row; the first problem found is reported."""
        fields, row = source.fields, source.row
        raw_measure = fields.get("measure") or ""
        raw_unit = fields.get("org_unit") or ""
        raw_period = fields.get("period") or ""
        raw_value = fields.get("value") or ""
        if not (
            raw_measure.strip() and raw_unit.strip() and raw_period.strip() and raw_value.strip()
        ):
            return _missing(source)

        unit_id = self._unit(raw_unit, source.kolada)
        home = self.units[unit_id] if isinstance(unit_id, str) else None
        measure = self._measure(raw_measure, source.kolada, home)
        if isinstance(measure, tuple):
            if isinstance(unit_id, tuple) and measure[0].startswith(AMBIGUOUS):
                # The unit decides the municipality a measure code is looked up in: a code
                # ambiguous for want of it is the unit's error.
                return RowError(row, "org_unit", unit_id[0], raw_unit.strip())
            return RowError(row, "measure", measure[0], raw_measure.strip())
        if isinstance(unit_id, tuple):
            return RowError(row, "org_unit", unit_id[0], raw_unit.strip())
        if measure.municipality != home:
            return RowError(
                row,
                "org_unit",
                f"not in the measure's municipality ({measure.municipality})",
                raw_unit.strip(),
            )

        period = self._period(raw_period, measure)
        if isinstance(period, str):
            return RowError(row, "period", period, raw_period)

        segment = (fields.get("segment") or "").strip()
        if segment and segment not in measure.segments:
            allowed = ", ".join(sorted(measure.segments)) or "none"
            return RowError(
                row, "segment", f"not a segment of this measure (allowed: {allowed})", segment
            )
        if measure.segments and not segment:
            return RowError(row, "segment", "this measure is reported per segment", None)

        raw_gender = fields.get("gender")
        gender = GENDERS.get(raw_gender.strip().upper()) if raw_gender else "T"
        if gender is None:
            return RowError(row, "gender", "must be T, K or M", raw_gender)
        if gender != "T" and not measure.gender_split:
            if not self.strict:
                # Kolada publishes K and M beside T for every KPI that has them, and exports
                # of it (CSV, JSON) carry them along: the same rule on every import path.
                return SkippedRow(row, f"gender_without_split:{gender}")
            return RowError(row, "gender", "this measure has no gender split", raw_gender)

        if measure.qualitative:
            return RowError(
                row, "value", "a text measure's values are texts, not imported", raw_value
            )
        value = _number(raw_value)
        if isinstance(value, str):
            return RowError(row, "value", value, raw_value)
        numerator: Decimal | None = None
        denominator: Decimal | None = None
        raw_numerator, raw_denominator = fields.get("numerator"), fields.get("denominator")
        if raw_numerator or raw_denominator:
            if not (raw_numerator and raw_denominator):
                return RowError(
                    row, "denominator", "give both numerator and denominator, or neither", None
                )
            parsed_numerator, parsed_denominator = _number(raw_numerator), _number(raw_denominator)
            if isinstance(parsed_numerator, str):
                return RowError(row, "numerator", parsed_numerator, raw_numerator)
            if isinstance(parsed_denominator, str):
                return RowError(row, "denominator", parsed_denominator, raw_denominator)
            if parsed_denominator == 0:
                return RowError(row, "denominator", "must not be 0", raw_denominator)
            numerator, denominator = parsed_numerator, parsed_denominator

        raw_state = fields.get("status")
        state = STATES.get(raw_state.strip().lower()) if raw_state else "final"
        if state is None:
            return RowError(row, "status", "must be preliminary or final", raw_state)
        comment = (fields.get("comment") or "").strip() or None
        if comment is not None:
            if len(comment) > MAX_COMMENT:
                return RowError(
                    row, "comment", f"longer than {MAX_COMMENT} characters", comment[:50]
                )
            if "\x00" in comment:
                return RowError(row, "comment", "contains a NUL character", comment[:50])

        closed_through = self.closed_through.get(unit_id)
        closed = closed_through is not None and period.end <= closed_through
        if closed and not self.may_write_closed:
            return RowError(
                row,
                "period",
                f"closed (through {closed_through}); a controller must correct it",
                period.text,
            )
        return ValueRow(
            row=row,
            measure_id=measure.id,
            org_unit_id=unit_id,
            period=period.text,
            period_end=period.end,
            year=period.year,
            segment=segment,
            gender=gender,
            value=value,
            numerator=numerator,
            denominator=denominator,
            state=state,
            comment=comment,
            definition_version=measure.definition_version(period.year),
            closed=closed,
        )


def _missing(source: SourceRow) -> RowError:
    for name in ("measure", "org_unit", "period", "value"):
        raw = source.fields.get(name)
        if not (raw or "").strip():
            return RowError(source.row, name, f"{name} is required", raw)
    raise AssertionError("a required field is missing")  # pragma: no cover


_FOUR_PLACES = Decimal("0.0001")
# Most cells are plain ("85,3", "85.3", "-12"): these need none of the checks below.
_PLAIN_NUMBER = re.compile(r"-?\d{1,14}(?:[.,]\d{1,4})?")


def _number(raw: str) -> Decimal | str:
    """A stored number from its text, or the reason it is none."""
    if _PLAIN_NUMBER.fullmatch(raw):
        return Decimal(raw.replace(",", "."))
    try:
        # Other machine notation ("85.30000", "1e3") before the full Swedish parser.
        number = Decimal(raw.replace(",", "."))
        if not number.is_finite():
            return "not a finite number"
    except InvalidOperation:
        try:
            number = parse_decimal(raw)
        except NumberError:
            return "not a number"
    if abs(number) >= MAX_ABS or number != number.quantize(_FOUR_PLACES):
        return "too large or more than 4 decimals"
    return number
