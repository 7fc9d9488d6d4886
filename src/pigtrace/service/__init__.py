"""The HTTP service (`pigtrace serve`): the screening API under /v1 and the web pages, served by one process
over one warehouse. Every endpoint calls the same library functions as the CLI; this package only adds
access rules (API keys, the single writer), validation and the pages."""
