"""Web blueprints: shop (consumers), planning (planners), admin, and the JSON APIs."""
