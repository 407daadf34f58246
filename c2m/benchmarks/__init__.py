"""Benchmarks of the composed application (never run by the test suite)."""
