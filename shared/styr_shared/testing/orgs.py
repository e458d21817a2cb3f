"""Org units for the budget and deviations suites, fed into their org replica.

They mirror the goals service's demo organisation (Oxelösund), so ids in tests and demo data
are the same everywhere: ``oxelosund`` → ``oxelosund-von`` → ``oxelosund-vof`` → ``oxelosund-so``
/ ``oxelosund-ao`` → units such as ``oxelosund-sabo``, ``oxelosund-hemtjanst``,
``oxelosund-lss``.
"""

from __future__ import annotations

from typing import Any

from styr_shared.db import Database
from styr_shared.orgreplica.sync import apply_feed_page

# (id, code, name, level, parent_id)
OXELOSUND: list[tuple[str, str, str, str, str | None]] = [
    ("oxelosund", "OXD", "Oxelösunds kommun", "municipality", None),
    ("oxelosund-ks", "KS", "Kommunstyrelsen", "committee", "oxelosund"),
    ("oxelosund-von", "VON", "Vård- och omsorgsnämnden", "committee", "oxelosund"),
    ("oxelosund-vof", "VOF", "Vård- och omsorgsförvaltningen", "administration", "oxelosund-von"),
    ("oxelosund-so", "SO", "Sektion socialt stöd och omsorg", "department", "oxelosund-vof"),
    ("oxelosund-ao", "ÄO", "Sektion äldreomsorg", "department", "oxelosund-vof"),
    ("oxelosund-sabo", "SÄBO", "Särskilt boende", "unit", "oxelosund-ao"),
    ("oxelosund-hemtjanst", "HT", "Hemtjänst", "unit", "oxelosund-ao"),
    ("oxelosund-hsl", "HSL", "Hälso- och sjukvård", "unit", "oxelosund-ao"),
    ("oxelosund-lss", "LSS", "LSS-verksamhet", "unit", "oxelosund-so"),
    ("oxelosund-ifo", "IFO", "Individ- och familjeomsorg", "unit", "oxelosund-so"),
]

# The second tenant (the goals service's demo has the same): codes repeat Oxelösund's on purpose.
TROSA: list[tuple[str, str, str, str, str | None]] = [
    ("trosa", "TRS", "Trosa kommun", "municipality", None),
    ("trosa-ks", "KS", "Kommunstyrelsen", "committee", "trosa"),
    ("trosa-von", "VON", "Vård- och omsorgsnämnden", "committee", "trosa"),
    ("trosa-vof", "VOF", "Vård- och omsorgsförvaltningen", "administration", "trosa-von"),
    ("trosa-hemtjanst", "HT", "Hemtjänst", "unit", "trosa-vof"),
    ("trosa-sabo", "SÄBO", "Särskilt boende", "unit", "trosa-vof"),
]
BOTH_MUNICIPALITIES = OXELOSUND + TROSA


def feed_items(units: list[tuple[str, str, str, str, str | None]]) -> list[dict[str, Any]]:
    """Change-feed items (kind ``created``) for ``units``, as the goals service delivers them."""
    return [
        {
            "seq": seq,
            "unit_id": unit_id,
            "kind": "created",
            "after": {
                "id": unit_id,
                "code": code,
                "name": name,
                "level": level,
                "parent_id": parent,
                "valid_from": None,
                "valid_to": None,
                "successor_id": None,
                "kolada_id": None,
            },
        }
        for seq, (unit_id, code, name, level, parent) in enumerate(units, start=1)
    ]


async def seed_org_replica(
    database: Database, units: list[tuple[str, str, str, str, str | None]] = OXELOSUND
) -> None:
    """Fill a service's org replica as if it had read the goals service's feed."""
    items = feed_items(units)
    async with database.session() as session:
        await apply_feed_page(
            session, {"items": items, "cursor": str(len(items)), "has_more": False}
        )
