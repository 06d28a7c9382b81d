"""Fetchers for live sources. Optional and never run by the build, which reads only data/raw.

Each fetcher needs credentials from the environment, writes a *new* snapshot file with a
provenance sidecar (``<file>.meta.json``), and never overwrites an existing snapshot.
"""
