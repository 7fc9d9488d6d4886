"""Measuring sticks for the detectors: score the ``findings`` of an analysis against labels someone else
made. Downstream of ``detect`` (it reads ``findings`` and ``transfers``, writes nothing but temp tables).

- ``labels_file``: read and check an ``address,label[,chain]`` CSV (``pigtrace evaluate --labels``);
- ``labels_score``: precision / recall / F1 per role over the labelled addresses, plus the flags on
  unlabelled addresses;
- ``common``: the metrics, ISO-date windows and each address's first appearance in the ledger, shared
  with the simulated-world scorer (``simulate.evaluate``).
"""
