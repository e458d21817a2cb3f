"""Styr's shared service library.

Everything the goals, budget, deviations and gateway services have in common lives here, so
each service wires the same settings, database handling, auth, problem responses, logging,
pagination, health checks and metrics in one way.
"""
