"""CLI commands `export` and `plot` (registered on the main app)."""
