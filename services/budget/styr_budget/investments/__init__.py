"""Investment objects, their yearly budget, outcome, forecast and carry-over."""
