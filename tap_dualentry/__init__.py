"""tap-dualentry: a Singer tap for the DualEntry accounting API."""
