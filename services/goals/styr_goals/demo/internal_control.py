"""Demo: the care committee's (VON) internal control plan for 2025.

**Invented, plausible content.** The committee papers used for the rest of the demo do not
print VON's internkontrollplan, so its processes, risks, assessments, controls and results
are modelled on what Swedish care committees' plans usually contain (medication handling,
documentation, Lex Sarah, procurement, payroll, fees, …). Risk values are probability ×
consequence on a 4 × 4 matrix; risks valued 8 or more get controls (the plan's threshold).
The results are those of a year-end report: most controls without remark, some with.
"""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals.internal_control import service
from styr_goals.internal_control.schemas import (
    ControlCreate,
    ControlPlanCreate,
    ControlPlanUpdate,
    Outcome,
    ProcessCreate,
    ResultCreate,
    RiskCreate,
)
from styr_shared.auth import Principal

PLAN_ID = "von-ik-2025"
UNIT = "oxelosund-von"

# process → [(risk, probability, consequence, financial, control or None, result or None)]
# control: (method, frequency, responsible, timing); result: (outcome, comment, actions)
Control = tuple[str, str, str, str]
Result = tuple[Outcome, str, str | None]
Risk = tuple[str, int, int, bool, Control | None, Result | None]

OK = Outcome.NO_REMARK
REMARK = Outcome.REMARK

PLAN: dict[str, list[Risk]] = {
    "Läkemedelshantering": [
        (
            "Läkemedel ges inte enligt ordination (utebliven eller dubbel dos)",
            3,
            4,
            False,
            (
                "Granskning av signeringslistor, 10 brukare per enhet",
                "Varje tertial",
                "Medicinskt ansvarig sjuksköterska (MAS)",
                "April, augusti, december",
            ),
            (
                REMARK,
                "Osignerade doser på två enheter inom hemtjänsten.",
                "Utbildning i signering och uppföljning av enhetschef varje månad.",
            ),
        ),
        (
            "Narkotikaklassade läkemedel förvaras eller räknas inte enligt rutin",
            2,
            4,
            False,
            (
                "Kontroll av narkotikajournaler och förråd",
                "Två gånger per år",
                "MAS",
                "Juni, november",
            ),
            (OK, "Förvaring och kontrollräkning enligt rutin.", None),
        ),
        (
            "Delegeringar av läkemedelsöverlämning är inaktuella",
            3,
            3,
            False,
            ("Genomgång av delegeringsregistret", "Två gånger per år", "MAS", "Mars, september"),
            (
                REMARK,
                "12 delegeringar hade löpt ut utan förnyelse.",
                "Påminnelse två månader före utgång införd i verksamhetssystemet.",
            ),
        ),
    ],
    "Dokumentation och journalföring": [
        (
            "Genomförandeplaner saknas eller är inte uppdaterade",
            3,
            3,
            False,
            (
                "Stickprov på 20 genomförandeplaner",
                "Varje tertial",
                "Kvalitetsstrateg",
                "April, augusti, december",
            ),
            (
                REMARK,
                "6 av 20 planer var äldre än sex månader.",
                "Enhetscheferna följer upp planerna på arbetsplatsträffar.",
            ),
        ),
        (
            "Journaler läses av obehöriga (loggkontroll uteblir)",
            2,
            4,
            False,
            (
                "Loggkontroll av åtkomst till journaler",
                "Varje månad",
                "Systemförvaltare",
                "Löpande",
            ),
            (OK, "Inga obehöriga åtkomster hittades.", None),
        ),
        ("Social dokumentation görs inte i tid", 2, 2, False, None, None),
    ],
    "Avvikelser, klagomål och Lex Sarah": [
        (
            "Avvikelser utreds inte och åtgärder följs inte upp",
            3,
            3,
            False,
            (
                "Genomgång av avvikelser äldre än 30 dagar",
                "Varje kvartal",
                "Enhetschefer",
                "Mars, juni, september, december",
            ),
            (OK, "Samtliga utredda inom rutinens tid.", None),
        ),
        (
            "Rapporter enligt Lex Sarah hanteras inte utan dröjsmål",
            2,
            4,
            False,
            (
                "Kontroll av handläggningstider för Lex Sarah-rapporter",
                "Två gånger per år",
                "Lex Sarah-utredare",
                "Juni, december",
            ),
            (OK, "Alla rapporter utreddes inom rutinens tid.", None),
        ),
        ("Klagomål besvaras inte inom en månad", 2, 2, False, None, None),
    ],
    "Myndighetsutövning och beslut": [
        (
            "Beslut om bistånd verkställs inte inom tre månader",
            3,
            3,
            False,
            (
                "Uppföljning av ej verkställda beslut",
                "Varje kvartal",
                "Enhetschef myndighet",
                "Mars, juni, september, december",
            ),
            (
                REMARK,
                "Två beslut om särskilt boende ej verkställda inom tre månader.",
                "Rapporterade till IVO; plats erbjuden i januari.",
            ),
        ),
        ("Utredningar följer inte handläggningsrutinen", 2, 3, False, None, None),
    ],
    "Bemanning och personal": [
        (
            "Timanställda saknar introduktion och kompetens för uppdraget",
            3,
            3,
            False,
            (
                "Kontroll av introduktionschecklistor för nyanställda",
                "Två gånger per år",
                "HR-konsult",
                "Juni, december",
            ),
            (OK, "Checklistor fanns för alla kontrollerade.", None),
        ),
        ("Arbetstidsregler bryts (dygnsvila)", 2, 3, False, None, None),
        ("Registerutdrag kontrolleras inte vid anställning inom LSS", 1, 4, False, None, None),
    ],
    "Ekonomi och inköp": [
        (
            "Inköp görs utanför upphandlade avtal",
            3,
            3,
            True,
            (
                "Stickprov på 30 leverantörsfakturor mot avtalsdatabasen",
                "Två gånger per år",
                "Controller",
                "Maj, oktober",
            ),
            (
                REMARK,
                "4 av 30 inköp av förbrukningsmaterial utanför avtal.",
                "Beställarutbildning och spärr av kortinköp för förbrukningsmaterial.",
            ),
        ),
        ("Fakturor attesteras av fel person eller utan underlag", 2, 3, True, None, None),
        (
            "Avgifter för hemtjänst och boende debiteras felaktigt",
            3,
            3,
            True,
            (
                "Jämförelse av utförd tid och debiterad avgift, 25 brukare",
                "Varje tertial",
                "Avgiftshandläggare",
                "April, augusti, december",
            ),
            (OK, "Avgifterna stämde med utförd tid.", None),
        ),
        (
            "Prognosen för helåret missar underskott i verksamheterna",
            2,
            4,
            True,
            ("Prognosgenomgång med enhetschefer", "Varje månad", "Controller", "Löpande"),
            (OK, "Prognoserna följdes upp varje månad.", None),
        ),
        (
            "Brukares privata medel hanteras utan kvittens",
            2,
            4,
            True,
            (
                "Kontroll av kassaböcker för brukares medel",
                "Två gånger per år",
                "Enhetschefer",
                "Juni, december",
            ),
            (OK, "Kassaböcker med kvitton på alla kontrollerade enheter.", None),
        ),
        ("Lönetillägg registreras felaktigt", 2, 2, True, None, None),
    ],
    "Informationssäkerhet och dataskydd": [
        (
            "Behörigheter i verksamhetssystemet tas inte bort när anställning upphör",
            3,
            3,
            False,
            (
                "Avstämning av behörigheter mot avslutade anställningar",
                "Varje kvartal",
                "Systemförvaltare",
                "Mars, juni, september, december",
            ),
            (OK, "Behörigheterna togs bort inom en vecka.", None),
        ),
        ("Personuppgiftsincidenter anmäls inte inom 72 timmar", 1, 3, False, None, None),
    ],
}


async def load_internal_control(session: AsyncSession, actor: Principal) -> None:
    await service.create_plan(
        session,
        ControlPlanCreate(
            id=PLAN_ID,
            org_unit_id=UNIT,
            year=2025,
            name="Internkontrollplan 2025, Vård- och omsorgsnämnden",
            risk_threshold=8,
            adopted_on=date(2024, 12, 17),
            decision="VON 2024-12-17 (demo)",
        ),
        actor,
    )
    for name, risks in PLAN.items():
        process = await service.add_process(session, PLAN_ID, ProcessCreate(name=name), actor)
        assert process.id is not None
        for title, probability, consequence, financial, control, result in risks:
            risk = await service.add_risk(
                session,
                PLAN_ID,
                RiskCreate(
                    process_id=process.id,
                    title=title,
                    probability=probability,
                    consequence=consequence,
                    financial=financial,
                ),
                actor,
            )
            if control is None:
                continue
            assert risk.id is not None
            method, frequency, responsible, timing = control
            chosen = await service.add_control(
                session,
                risk.id,
                ControlCreate(
                    method=method, frequency=frequency, responsible=responsible, timing=timing
                ),
                actor,
            )
            if result is not None:
                assert chosen.id is not None
                outcome, comment, actions = result
                await service.add_result(
                    session,
                    chosen.id,
                    ResultCreate(outcome=outcome, comment=comment, actions=actions),
                    actor,
                )
    await service.update_plan(
        session,
        PLAN_ID,
        ControlPlanUpdate(
            summary="Årets interna kontroll visar att de flesta rutiner följs. Anmärkningar "
            "gällde signering av läkemedel, delegeringar, genomförandeplaner, ej verkställda "
            "beslut och inköp utanför avtal; åtgärder är beslutade och följs upp 2026."
        ),
        actor,
    )
