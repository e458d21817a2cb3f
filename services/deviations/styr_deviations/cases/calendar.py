"""The Swedish-calendar facts of a case's dates, stored with the case for the statistics.

Statistics count cases by Swedish calendar year and month (Europe/Stockholm) on two date
bases (the registration, or the event where it is known) and days to answer and to close in
Swedish calendar days. SQLite cannot compute Stockholm time and PostgreSQL would have to per
row, so these facts are computed here whenever a case is written and stored in columns of
their own; the statistics group and filter on them in SQL.

They are kept right on every write: an ORM insert or update (registration, intake, raising a
deviation, import, re-import corrections, edits, answers, transitions) goes through the mapper
events below, a Core ``insert(Case)`` of plain rows (the demo loader, tests) through the
columns' context-sensitive defaults, so such rows must leave the facts out (a ``None`` given
for one is stored as ``None``). Nothing writes the dates with a Core ``update``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import ExecutionContext
from sqlalchemy.orm import Mapper

from styr_deviations.config import local_date

DATES = ("reported_at", "event_time", "answered_at", "closed_at")
"""The columns the stored facts are computed from."""
FACTS = (
    "registration_year",
    "registration_month",
    "event_year",
    "event_month",
    "answered_on",
    "answer_days",
    "close_days",
)
"""The stored facts."""


def facts(
    reported_at: datetime | None,
    event_time: datetime | None,
    answered_at: datetime | None,
    closed_at: datetime | None,
) -> dict[str, Any]:
    """The stored facts of a case with these dates (all ``None`` without ``reported_at``)."""
    if reported_at is None:
        return dict.fromkeys(FACTS)
    reported = local_date(reported_at)
    event = local_date(event_time) if event_time is not None else reported
    answered = local_date(answered_at) if answered_at is not None else None
    closed = local_date(closed_at) if closed_at is not None else None
    return {
        "registration_year": reported.year,
        "registration_month": reported.month,
        "event_year": event.year,
        "event_month": event.month,
        "answered_on": answered,
        "answer_days": None if answered is None else (answered - reported).days,
        "close_days": None if closed is None else (closed - reported).days,
    }


def facts_of(row: Mapping[str, Any] | Any) -> dict[str, Any]:
    """The stored facts of a case or of a row (a mapping) with its dates."""
    if isinstance(row, Mapping):
        return facts(*(row.get(name) for name in DATES))
    return facts(*(getattr(row, name) for name in DATES))


def stamp(case: Any) -> None:
    """Set a case's stored facts from its dates."""
    for name, value in facts_of(case).items():
        if getattr(case, name) != value:
            setattr(case, name, value)


def column_default(name: str) -> Callable[[ExecutionContext], Any]:
    """The default of a fact's column in a Core insert: computed from the row's dates."""

    def default(context: ExecutionContext) -> Any:
        parameters: Mapping[str, Any] = context.get_current_parameters()  # type: ignore[attr-defined]
        return facts_of(parameters)[name]

    return default


def listen(case_class: type) -> None:
    """Keep the facts of ``case_class`` (the Case model) right on every ORM flush."""

    def before_flush(_mapper: Mapper[Any], _connection: Connection, target: Any) -> None:
        stamp(target)

    event.listen(case_class, "before_insert", before_flush)
    event.listen(case_class, "before_update", before_flush)
