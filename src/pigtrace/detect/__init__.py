"""Detectors: one class per typology (slither style), registered in one list, each returning findings
that explain themselves with the transactions that prove them. ``run.analyze`` runs them and writes
the ``findings`` table."""
