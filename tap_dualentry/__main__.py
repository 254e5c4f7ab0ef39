"""``python -m tap_dualentry`` runs the tap's command line."""

from tap_dualentry.tap import TapDualEntry

TapDualEntry.cli()
