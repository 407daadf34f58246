"""Commands of the c2m CLI, one module per capability."""
