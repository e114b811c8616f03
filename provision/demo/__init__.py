"""The demo: a realistic sample and the whole flow an operator walks, on the built-in sandbox."""
