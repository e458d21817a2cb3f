"""Styr GraphQL gateway: one graph over the goals, budget and deviations services."""
