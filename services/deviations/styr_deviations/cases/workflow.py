"""The case workflow as an explicit state machine.

registered → received (the unit manager has it) → assessed → investigating → actions →
follow_up → closed, with shortcuts a case handler takes in practice (assessed → closed when
nothing needs investigating, assessed → actions) and the exits rejected / withdrawn.
Each transition lists the roles that may take it; guards check the case's own rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from styr_deviations.cases.models import Case, CaseAction
from styr_deviations.config import CaseKind, CaseState, Regime, ReporterType
from styr_shared.auth import Role
from styr_shared.errors import ConflictError, ForbiddenError, InvalidFieldError

S = CaseState
_ANY = frozenset({Role.CASE_HANDLER, Role.MAS, Role.LEX_SARAH_INVESTIGATOR, Role.ADMIN})
_HANDLER = frozenset({Role.CASE_HANDLER, Role.ADMIN})

TRANSITIONS: dict[CaseState, dict[CaseState, frozenset[Role]]] = {
    S.REGISTERED: {S.RECEIVED: _ANY, S.REJECTED: _ANY, S.WITHDRAWN: _HANDLER},
    S.RECEIVED: {S.ASSESSED: _ANY, S.REJECTED: _ANY, S.WITHDRAWN: _HANDLER},
    S.ASSESSED: {S.INVESTIGATING: _ANY, S.ACTIONS: _ANY, S.CLOSED: _ANY, S.WITHDRAWN: _HANDLER},
    S.INVESTIGATING: {S.ACTIONS: _ANY, S.CLOSED: _ANY},
    S.ACTIONS: {S.FOLLOW_UP: _ANY, S.INVESTIGATING: _ANY},
    S.FOLLOW_UP: {S.CLOSED: _ANY, S.ACTIONS: _ANY},
    S.CLOSED: {},
    S.REJECTED: {},
    S.WITHDRAWN: {},
}

# Who may close a case under a reporting regime (the regime's responsible function decides).
_CLOSERS: dict[Regime, frozenset[Role]] = {
    Regime.LEX_MARIA: frozenset({Role.MAS, Role.ADMIN}),
    Regime.LEX_SARAH: frozenset({Role.LEX_SARAH_INVESTIGATOR, Role.ADMIN}),
}


def allowed_roles(case: Case, target: CaseState) -> frozenset[Role]:
    current = CaseState(case.state)
    roles = TRANSITIONS[current].get(target)
    if roles is None:
        return frozenset()
    if target is S.CLOSED and case.regime in _CLOSERS:
        roles = roles & _CLOSERS[Regime(case.regime)]
    if case.mas_took_over:
        # MAS has taken the case over: only MAS (or an admin) moves it on.
        roles = roles & frozenset({Role.MAS, Role.ADMIN})
    return roles


def check_transition(
    case: Case,
    target: CaseState,
    acting: set[Role],
    actions: Sequence[CaseAction],
    reason: str | None,
) -> None:
    current = CaseState(case.state)
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (final state)"
        raise ConflictError(
            f"A case cannot go from {current} to {target}; allowed: {allowed}.",
            slug="invalid-transition",
        )
    if not acting & allowed_roles(case, target):
        raise ForbiddenError(f"Your role may not move this case from {current} to {target}.")
    if target in (S.REJECTED, S.WITHDRAWN) and not reason:
        raise InvalidFieldError("body.reason", f"a reason is required to mark a case {target}")
    deviation_like = case.kind in (CaseKind.DEVIATION, CaseKind.EXTERNAL_DEVIATION)
    if target is S.ASSESSED and deviation_like and case.risk_score is None:
        raise ConflictError(
            "Assess the risk (probability × consequence) before marking the case assessed.",
            slug="risk-not-assessed",
        )
    if target is S.FOLLOW_UP and not [a for a in actions if a.status != "cancelled"]:
        raise ConflictError("There is no action to follow up.", slug="no-actions")
    if target is S.CLOSED:
        _check_closable(case, actions)


def _check_closable(case: Case, actions: Sequence[CaseAction]) -> None:
    open_actions = [
        a.id for a in actions if a.status != "cancelled" and a.effect_followed_up_at is None
    ]
    if open_actions:
        raise ConflictError(
            f"Every action needs a recorded follow-up of its effect first: {open_actions}.",
            slug="actions-not-followed-up",
        )
    answerable = case.kind in (CaseKind.COMPLAINT, CaseKind.FEEDBACK)
    if answerable and case.reporter_type != ReporterType.ANONYMOUS and case.answered_at is None:
        raise ConflictError("Answer the sender before closing.", slug="not-answered")
    if case.regime == Regime.LEX_MARIA and case.lm_report_to_ivo is None:
        raise ConflictError(
            "Record MAS's decision whether to report to IVO before closing.",
            slug="lex-maria-undecided",
        )
    if case.regime == Regime.LEX_SARAH and case.ls_standpoint is None:
        raise ConflictError(
            "Record the Lex Sarah standpoint before closing.", slug="lex-sarah-undecided"
        )
