"""Guard: find out what a file really is before any parser touches it."""
