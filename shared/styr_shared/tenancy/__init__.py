"""Municipalities as tenants.

A deployment serves one or more municipalities; each is the root of an org tree and owns its
settings (code lists, series, mappings, thresholds). Everything a service stores for a
municipality carries its root's id (``municipality_id``), codes are unique within it, and a
settings write needs a role *and* a scope that covers the root, so a grant on one unit never
changes what the municipality's other units share. Every settings write is kept in the
service's ``setting_change`` history.

Services import :mod:`styr_shared.tenancy.models` into their metadata (as with the org replica)
and mount :func:`styr_shared.tenancy.routes.history_router`.
"""

from styr_shared.tenancy.models import SettingChange
from styr_shared.tenancy.reading import (
    ReadScope,
    read_scope,
    read_scope_of,
    readable_municipalities,
)
from styr_shared.tenancy.service import (
    Municipality,
    get_municipality,
    municipalities_in_scope,
    record_change,
    require_settings_reader,
    require_settings_writer,
    resolve_municipality,
    snapshot,
)

__all__ = [
    "Municipality",
    "ReadScope",
    "SettingChange",
    "get_municipality",
    "municipalities_in_scope",
    "read_scope",
    "read_scope_of",
    "readable_municipalities",
    "record_change",
    "require_settings_reader",
    "require_settings_writer",
    "resolve_municipality",
    "snapshot",
]
