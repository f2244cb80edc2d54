"""dimensions."""
