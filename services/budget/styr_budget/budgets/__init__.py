"""Frames and budget versions (original budget, reallocations, revisions)."""
