"""Fake external services used by the EvalHub test-suite."""
