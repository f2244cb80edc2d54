"""File adapters: where receipt bytes are kept."""
