"""Benchmarks of the build and of UN Comtrade bulk ingestion (``make bench``)."""
