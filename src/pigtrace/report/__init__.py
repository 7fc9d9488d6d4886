"""Reports and exports of a case or of all findings, for people and tools outside pigtrace: the case report
(HTML, PDF), freeze and subpoena packets per exchange, STIX 2.1, GraphML and TagPack.

Place in the flow: trace/case, trace/case_store, findings, labels -> **report** (gather -> one formatter
per format; ``build.render`` picks it) -> cli/report_commands, the API.
"""
