"""bom package."""
