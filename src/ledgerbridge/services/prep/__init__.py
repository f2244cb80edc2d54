"""Prep: coding transactions, marking them ready for export, reopening them."""
