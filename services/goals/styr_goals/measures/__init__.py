"""Measures, their definitions, baselines and targets, values and computed status."""
