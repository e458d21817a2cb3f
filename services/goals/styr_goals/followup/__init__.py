"""Assessments, activities, roll-up and the follow-up report."""
