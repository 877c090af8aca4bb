"""Core plugin registering the built-in scoring models (placeholder until written)."""
