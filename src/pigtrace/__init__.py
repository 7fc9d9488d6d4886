"""pigtrace: open intelligence against pig-butchering crypto fraud.

Data flows one way: sources -> ingest -> store -> (graph, labels) -> detect/trace -> findings -> cli/api/report.
"""

__version__ = "0.1.0"
