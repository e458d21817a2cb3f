"""Oxelösund's organisation as the committee papers describe it.

The 2023 merger is modelled as the papers tell it: the social administration (SOF) and the
elderly care administration (ÄF) close on 2022-12-31 and Vård- och omsorgsförvaltningen (VOF)
takes over from 2023-01-01. Units below are those the papers name for care and support.
"""

from __future__ import annotations

from datetime import date

LEVELS = [
    ("municipality", "Kommun", 0),
    ("committee", "Nämnd", 1),
    ("administration", "Förvaltning", 2),
    ("department", "Verksamhetsområde", 3),
    ("unit", "Enhet", 4),
]

MERGED = date(2022, 12, 31)
VOF_START = date(2023, 1, 1)

# (id, code, name, level, parent, valid_from, valid_to, kolada_id)
UNITS: list[tuple[str, str, str, str, str | None, date | None, date | None, str | None]] = [
    ("oxelosund", "OXD", "Oxelösunds kommun", "municipality", None, None, None, "0481"),
    ("oxelosund-ks", "KS", "Kommunstyrelsen", "committee", "oxelosund", None, None, None),
    (
        "oxelosund-von",
        "VON",
        "Vård- och omsorgsnämnden",
        "committee",
        "oxelosund",
        None,
        None,
        None,
    ),
    (
        "oxelosund-sof",
        "SOF",
        "Socialförvaltningen",
        "administration",
        "oxelosund-von",
        None,
        MERGED,
        None,
    ),
    (
        "oxelosund-af",
        "ÄF",
        "Äldreförvaltningen",
        "administration",
        "oxelosund-von",
        None,
        MERGED,
        None,
    ),
    (
        "oxelosund-vof",
        "VOF",
        "Vård- och omsorgsförvaltningen",
        "administration",
        "oxelosund-von",
        VOF_START,
        None,
        None,
    ),
    (
        "oxelosund-so",
        "SO",
        "Sektion socialt stöd och omsorg",
        "department",
        "oxelosund-vof",
        VOF_START,
        None,
        None,
    ),
    (
        "oxelosund-ao",
        "ÄO",
        "Sektion äldreomsorg",
        "department",
        "oxelosund-vof",
        VOF_START,
        None,
        None,
    ),
    ("oxelosund-sabo", "SÄBO", "Särskilt boende", "unit", "oxelosund-ao", VOF_START, None, None),
    ("oxelosund-hemtjanst", "HT", "Hemtjänst", "unit", "oxelosund-ao", VOF_START, None, None),
    ("oxelosund-hsl", "HSL", "Hälso- och sjukvård", "unit", "oxelosund-ao", VOF_START, None, None),
    ("oxelosund-lss", "LSS", "LSS-verksamhet", "unit", "oxelosund-so", VOF_START, None, None),
    (
        "oxelosund-ifo",
        "IFO",
        "Individ- och familjeomsorg",
        "unit",
        "oxelosund-so",
        VOF_START,
        None,
        None,
    ),
]
