"""Oxelösund's steering configuration as the committee papers use it.

The result scale is not printed anywhere; these thresholds reproduce every observed pair
(100, 83, 80, 76 % → "Mycket god"; 67, 50 % → "God"; 25 % → "Relativt låg"): "Mycket god"
may start anywhere in 68–76 and "God" in 26–50, and we take 70 and 40.
"""

from __future__ import annotations

from styr_goals.plans.schemas import (
    ActivityStatusConfig,
    FollowUpPeriodConfig,
    GoalLevelConfig,
    PeriodKind,
    ResultLevelConfig,
    SteeringConfigDocument,
)

MUNICIPALITY = "oxelosund"

CONFIG = SteeringConfigDocument(
    goal_levels=[
        GoalLevelConfig(key="kommunmal", label="Kommunmål", rank=0),
        GoalLevelConfig(key="kf_mal", label="KF-mål", rank=1),
        GoalLevelConfig(key="namndmal", label="Nämndmål", rank=2, rollup=True),
    ],
    follow_up_tags=["D/B", "B"],
    follow_up_periods=[
        FollowUpPeriodConfig(
            key="delar", label="Delår", kind=PeriodKind.INTERIM, end_month=8, tags=["D/B"]
        ),
        FollowUpPeriodConfig(
            key="helar", label="Helår", kind=PeriodKind.ANNUAL, end_month=12, tags=["D/B", "B"]
        ),
    ],
    result_levels=[
        ResultLevelConfig(min_percent=70, label="Mycket god måluppfyllelse"),
        ResultLevelConfig(min_percent=40, label="God måluppfyllelse"),
        ResultLevelConfig(min_percent=0, label="Relativt låg måluppfyllelse"),
    ],
    activity_statuses=[
        ActivityStatusConfig(key="ej_paborjad", label="Ej påbörjad"),
        ActivityStatusConfig(key="pagaende", label="Pågående"),
        ActivityStatusConfig(key="avslutad", label="Avslutad", done=True),
        ActivityStatusConfig(key="forsenad", label="Försenad"),
        ActivityStatusConfig(key="stoppad", label="Stoppad"),
    ],
)

# KF-03 of the 2025–2027 plan is addressed to these committees (by name in the paper).
OTHER_COMMITTEES = {
    "Utbildningsnämnden": ("oxelosund-utbn", "UTBN"),
    "Kultur- och fritidsnämnden": ("oxelosund-kfn", "KFN"),
}
