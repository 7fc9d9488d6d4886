"""Tracing: where money went from a wallet or a victim (cases, taint walks)."""
