"""Detectors: one class per typology (slither style), registered in one list, each a stage that declares the
tables it reads and writes and returns findings that explain themselves with the transactions that prove
them; shared feature stages build the tables several detectors read. ``plan`` orders the stages,
``run.analyze`` runs them, stores each detector's findings (``stored``) and writes their combination to the
``findings`` table."""
