"""Build hook for the one compiled module; everything else about the package is in pyproject.toml.

``analysis.ingest._linescan`` speeds up ``nkflows ingest-bulk``. It is optional: where no
C compiler is found the build goes on without it and ingest-bulk uses its numpy scanner,
which keeps the same rows (the tests run both).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("analysis.ingest._linescan", ["analysis/ingest/_linescan.c"], optional=True)])
