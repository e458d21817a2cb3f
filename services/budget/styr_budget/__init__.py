"""Styr budget service: frames, budget, ledger outcome, forecasts and investments."""
