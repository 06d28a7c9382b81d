"""Figures: each function takes published or result tables and returns a matplotlib Figure."""
