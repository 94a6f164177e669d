"""Matrix completion: alternating minimisation with per-row solves."""
