"""Reports: per-school and per-person queries, the audit export, rendering for the terminal."""
