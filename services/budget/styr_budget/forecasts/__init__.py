"""Forecasts (årsprognos) per follow-up month and measures for a budget in balance."""
