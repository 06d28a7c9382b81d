"""Models: functions of published tables (pandas in, tidy pandas result tables out)."""
