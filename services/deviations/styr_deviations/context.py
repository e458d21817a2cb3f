"""Per-process objects the routes hand to the services: settings and the cipher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from styr_deviations.personaldata.crypto import PersonalDataCipher
from styr_deviations.settings import DeviationsSettings


@dataclass(frozen=True)
class Context:
    settings: DeviationsSettings
    cipher: PersonalDataCipher

    @classmethod
    def from_settings(cls, settings: DeviationsSettings) -> Context:
        return cls(
            settings=settings,
            cipher=PersonalDataCipher(
                settings.personal_data_key,
                settings.personal_data_old_keys,
                settings.personal_data_hash_key,
            ),
        )


def get_context(request: Request) -> Context:
    context: Context = request.app.state.context
    return context


Ctx = Annotated[Context, Depends(get_context)]
