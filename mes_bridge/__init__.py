"""mes_bridge package."""
