"""Demo data: Oxelösund's organisation, its steering configuration and VON's plans
(Verksamhetsplan 2025–2027 and the 2024 follow-up, from the committee papers; its 2025
internal control plan, invented), and a second,
small municipality, Trosa, with invented figures (:mod:`styr_goals.demo.trosa`)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from styr_goals.demo.internal_control import load_internal_control
from styr_goals.demo.organisation import LEVELS, MERGED, UNITS
from styr_goals.demo.plans import load_followup_2024, load_plan_2025
from styr_goals.demo.steering import CONFIG, MUNICIPALITY, OTHER_COMMITTEES
from styr_goals.demo.trosa import load_trosa
from styr_goals.orgunits import service as orgunits
from styr_goals.orgunits.models import OrgUnit
from styr_goals.orgunits.schemas import OrgUnitCreate, OrgUnitUpdate
from styr_goals.plans import service as plans
from styr_shared.auth import Principal, Role
from styr_shared.db import Database

DEMO_LOADER = Principal(subject="demo-loader", roles=frozenset({Role.ADMIN}))


async def load_demo(database: Database) -> bool:
    """Load the demo data into an empty database; returns False when it was not empty."""
    async with database.session() as session:
        if (await session.exec(select(func.count()).select_from(OrgUnit))).one():
            return False
        for key, label, rank in LEVELS:
            await orgunits.put_level(session, key, label, rank, DEMO_LOADER)
        for unit_id, code, name, level, parent, valid_from, valid_to, kolada in UNITS:
            await orgunits.create_unit(
                session,
                OrgUnitCreate(
                    id=unit_id,
                    code=code,
                    name=name,
                    level=level,
                    parent_id=parent,
                    valid_from=valid_from,
                    valid_to=valid_to,
                    kolada_id=kolada,
                ),
                DEMO_LOADER,
            )
        for closed in ("oxelosund-sof", "oxelosund-af"):
            await orgunits.update_unit(
                session,
                closed,
                OrgUnitUpdate(successor_id="oxelosund-vof", effective_from=MERGED),
                DEMO_LOADER,
            )
        for name, (unit_id, code) in OTHER_COMMITTEES.items():
            await orgunits.create_unit(
                session,
                OrgUnitCreate(
                    id=unit_id, code=code, name=name, level="committee", parent_id=MUNICIPALITY
                ),
                DEMO_LOADER,
            )
        await plans.put_config(session, MUNICIPALITY, CONFIG, DEMO_LOADER)
        await load_plan_2025(session, DEMO_LOADER)
        await load_followup_2024(session, DEMO_LOADER)
        await load_internal_control(session, DEMO_LOADER)
        await load_trosa(session, DEMO_LOADER)
    return True
