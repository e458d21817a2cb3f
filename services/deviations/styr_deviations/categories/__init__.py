"""Deviation categories: the national default list per year, and each municipality's own
codes, labels and retirements on top of it."""
