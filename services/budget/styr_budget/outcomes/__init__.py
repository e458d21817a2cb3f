"""Monthly outcome (utfall) from the ledger: SIE 4 and CSV imports."""
