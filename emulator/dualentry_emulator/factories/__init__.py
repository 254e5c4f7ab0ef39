"""Row factories: the emulator's own data, never derived from the tap's schemas."""
