from styr_deviations.database import metadata
from styr_shared.migrations import run_migrations

run_migrations(metadata)
