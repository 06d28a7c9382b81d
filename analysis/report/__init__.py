"""The report: fit models, write result tables, draw figures, render one self-contained HTML file."""
