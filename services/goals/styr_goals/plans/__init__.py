"""Plans, configurable goal levels and the goal tree versioned per plan year."""
