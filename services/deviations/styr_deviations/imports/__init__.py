"""Migration import of historical cases from the old system (CSV or JSON)."""
