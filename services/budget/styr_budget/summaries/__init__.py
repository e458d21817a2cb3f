"""Budget, outcome, forecast and deviation for any org subtree, year and period."""
