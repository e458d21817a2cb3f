"""A municipality's case settings: reference format and series, risk matrix, deadlines, the
citizen intake's receiving unit and the statistics suppression threshold."""
