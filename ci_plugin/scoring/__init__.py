"""Scoring models for assessing and prioritising improvements."""
