"""Validate: every rule of the spec over the frames, as findings."""
