"""LedgerBridge: card and account transactions booked into Exact Online."""

__version__ = "0.1.0"
