"""nkflows: a sourced, validated dataset and statistical analysis of North Korea's
cross-border flows (defectors, workers abroad, trade) and the events that shape them."""

__version__ = "0.2.0"
