"""Dimensions as data: fiscal years, activity codes, account groups and ledger mappings."""
