"""Cross-cutting tests: real browser, encryption at rest; and the PostgreSQL test server."""
