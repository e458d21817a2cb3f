"""Reading personal data (always logged), searching by personnummer (by keyed hash only),
the access log and re-encryption after a key rotation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.cases import access
from styr_deviations.cases.models import Case
from styr_deviations.cases.schemas import (
    ContactRead,
    NumberInText,
    PersonalDataRead,
    PersonRead,
)
from styr_deviations.context import Context
from styr_deviations.personaldata.models import PersonalDataAccess
from styr_deviations.personaldata.personnummer import is_coordination_number
from styr_shared.auth import Principal
from styr_shared.errors import ForbiddenError
from styr_shared.pagination import PageParams, paginate


def log_access(
    session: AsyncSession, principal: Principal, case: Case, action: str, reason: str
) -> None:
    assert case.id is not None
    session.add(
        PersonalDataAccess(
            actor=principal.subject,
            actor_roles=",".join(sorted(principal.roles)),
            case_id=case.id,
            reference_number=case.reference_number,
            action=action,
            reason=reason,
        )
    )


def decrypt(ctx: Context, case: Case) -> PersonalDataRead:
    assert case.id is not None
    document = ctx.cipher.decrypt(case.personal_data) if case.personal_data else {}
    person, reporter = document.get("person"), document.get("reporter")
    pnr = person.get("personnummer") if person else None
    return PersonalDataRead(
        case_id=case.id,
        reference_number=case.reference_number,
        person=PersonRead(
            name=person.get("name"),
            personnummer=pnr,
            coordination_number=bool(pnr and is_coordination_number(pnr)),
        )
        if person
        else None,
        reporter=ContactRead(**reporter) if reporter else None,
        numbers_in_text=[
            NumberInText(
                field=entry["field"],
                personnummer=entry["personnummer"],
                coordination_number=is_coordination_number(entry["personnummer"]),
            )
            for entry in document.get("numbers_in_text", [])
        ],
    )


async def read_personal_data(
    session: AsyncSession, ctx: Context, principal: Principal, case_id: int, reason: str
) -> PersonalDataRead:
    case = await access.load_case(session, principal, case_id)
    if not access.may_see_personal_data(principal, case):
        raise ForbiddenError(
            "Personal data is shown to the unit's case handlers, MAS/MAR (health care) and "
            "the Lex Sarah investigator (Lex Sarah cases) only."
        )
    result = decrypt(ctx, case)
    log_access(session, principal, case, "read", reason)
    await session.commit()
    return result


async def search_by_personnummer(
    session: AsyncSession, ctx: Context, principal: Principal, personnummer: str, reason: str
) -> list[Case]:
    """Cases about one person that the caller may see with personal data; each hit is logged."""
    if not access.has_case_role(principal):
        raise ForbiddenError("Searching for a person needs a case-handling role.")
    digest = ctx.cipher.search_hash(personnummer)
    statement = select(Case).where(col(Case.person_hash) == digest).order_by(col(Case.id))
    found: list[Case] = []
    for case in (await session.exec(statement)).all():
        if await access.in_scope(
            session, principal, case.org_unit_id
        ) and access.may_see_personal_data(principal, case):
            log_access(session, principal, case, "search", reason)
            found.append(case)
    await session.commit()
    return found


async def access_log(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    case_id: int | None = None,
    actor: str | None = None,
    since: datetime | None = None,
) -> tuple[list[PersonalDataAccess], str | None]:
    """The log of reads of cases in the caller's scope (a municipality's admin sees its own
    municipality's, the deployment's operator every one)."""
    statement = select(PersonalDataAccess)
    units = await access.scope_units(session, principal)
    if units is not None:
        in_scope = select(Case.id).where(col(Case.org_unit_id).in_(sorted(units)))
        statement = statement.where(col(PersonalDataAccess.case_id).in_(in_scope))
    if case_id is not None:
        statement = statement.where(col(PersonalDataAccess.case_id) == case_id)
    if actor is not None:
        statement = statement.where(col(PersonalDataAccess.actor) == actor)
    if since is not None:
        statement = statement.where(col(PersonalDataAccess.accessed_at) >= since)
    return await paginate(session, statement, [col(PersonalDataAccess.id)], page)


async def re_encrypt(session: AsyncSession, ctx: Context, batch: int = 500) -> int:
    """Move every ciphertext to the current key and recompute search hashes.

    Run after rotating ``PERSONAL_DATA_KEY`` (old keys still configured for reading) or the
    hash key. Returns how many cases were rewritten.
    """
    rewritten = 0
    last_id = 0
    while True:
        statement = (
            select(Case)
            .where(col(Case.personal_data).is_not(None), col(Case.id) > last_id)
            .order_by(col(Case.id))
            .limit(batch)
        )
        cases: Sequence[Case] = (await session.exec(statement)).all()
        if not cases:
            break
        for case in cases:
            assert case.id is not None
            assert case.personal_data is not None
            last_id = case.id
            document = ctx.cipher.decrypt(case.personal_data)
            person = document.get("person") or {}
            pnr = person.get("personnummer")
            case.personal_data = ctx.cipher.encrypt(document)
            case.person_hash = ctx.cipher.search_hash(pnr) if pnr else None
            session.add(case)
            rewritten += 1
        await session.commit()
    return rewritten
