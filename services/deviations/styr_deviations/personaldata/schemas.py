"""API contracts for the personal-data search and the access log."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from styr_deviations.cases.schemas import Personnummer
from styr_deviations.text import LongText
from styr_shared.schemas import ResponseModel, StrictModel


class PersonSearch(StrictModel):
    """Sent in the body so the number never appears in a URL or an access log."""

    personnummer: Personnummer
    reason: LongText = Field(description="Why you need it; written to the access log.")


class AccessRead(ResponseModel):
    id: int
    accessed_at: datetime
    actor: str
    actor_roles: str
    case_id: int
    reference_number: str
    action: str
    reason: str


class ReEncryptResult(StrictModel):
    rewritten: int
    current_key_id: str
