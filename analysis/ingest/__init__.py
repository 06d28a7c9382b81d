"""Ingestion: each module parses one source family's raw files into tidy, validated frames.

Ingest code reads ``data/raw/`` and nothing else, never writes it, and never fits models.
"""
