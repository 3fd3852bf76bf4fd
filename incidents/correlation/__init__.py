"""Correlation: which incidents are one event (events), which drones and operators come back
(repeats), and which activity across sites looks coordinated (patterns)."""
