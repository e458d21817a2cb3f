"""Styr goals service: organisation, plans, goals, measures, values, assessments, activities."""
