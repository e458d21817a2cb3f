"""Request builders for the deviations test suite (like `styr_shared.testing`)."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from styr_deviations.casesettings.models import CaseSettingsRow
from styr_deviations.casesettings.schemas import CaseSettings
from styr_shared.db import Database


def deviation(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "deviation",
        "law_area": "HSL",
        "category": "fall",
        "org_unit_id": "oxelosund-sabo",
        "event_time": "2025-03-01T09:30:00+01:00",
        "description": "Boende föll i badrummet, inga synliga skador.",
        "immediate_actions": "Tillsyn av sjuksköterska.",
        "housing_type": "sarskilt_boende",
    }
    body.update(overrides)
    return body


async def create(client: AsyncClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/cases", json=deviation(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def move(
    client: AsyncClient, headers: dict[str, str], case_id: int, to: str, **extra: Any
) -> Any:
    return await client.post(
        f"/api/v1/cases/{case_id}/transitions", json={"to": to, **extra}, headers=headers
    )


async def store_case_settings(
    database: Database, municipality_id: str, settings: CaseSettings
) -> None:
    """Store a municipality's case settings directly (as migration 0004 or the demo does)."""
    async with database.session() as session:
        session.add(
            CaseSettingsRow(
                municipality_id=municipality_id,
                document=settings.model_dump(mode="json"),
                updated_by="test",
            )
        )
        await session.commit()
