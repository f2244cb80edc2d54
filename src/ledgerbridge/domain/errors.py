"""Errors the domain raises. Each names what is wrong and where."""

from __future__ import annotations


class DomainError(ValueError):
    """A rule of the domain was broken; the message says which and where."""


class InvalidMoney(DomainError):
    """An amount or currency that cannot be money (float, NaN, unknown currency…)."""


class InvalidCoding(DomainError):
    """Coding lines that do not fit the transaction (sum, missing values…)."""


class InvalidTransition(DomainError):
    """An export status change that the state machine forbids."""

    def __init__(self, current: object, target: object, why: str = "") -> None:
        self.current = current
        self.target = target
        super().__init__(f"cannot go from {current} to {target}" + (f": {why}" if why else ""))
