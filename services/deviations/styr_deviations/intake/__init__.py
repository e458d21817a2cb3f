"""Citizen intake: the public "Säg vad du tycker" endpoint."""
