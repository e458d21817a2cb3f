"""Styr deviations service: avvikelser, klagomål och synpunkter, Lex Sarah, Lex Maria."""
