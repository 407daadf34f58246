"""c2m package."""
