"""The DuckDB warehouse: schema, connection, and all-or-nothing writes."""
