"""Reported results: a unit's year-end (or follow-up) result against its allocation, with the
larger deviations explained per verksamhet, as the annual report prints them."""
