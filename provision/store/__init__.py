"""The database side of the engine: loaders of the plan's inputs, plan records, the journal, audit, locks."""
