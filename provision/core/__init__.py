"""The pure core: state types, policy, seats, diff, drift, plans and their safety checks (no I/O)."""
