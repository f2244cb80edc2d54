"""Copy a local receipt directory into another store (``ledgerbridge receipts migrate``).

Safe to run twice and to stop at any moment: every file is named by its content, a file
the target already holds with the same bytes is left alone (and counted), so a second
run copies only what the first did not. Each source file is checked against its name
first: a damaged one is reported, never copied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from ledgerbridge.files.store import FileSystemReceiptStore, ReceiptStorage, sha256_of

Outcome = Literal["copied", "already there", "failed"]


@dataclass
class Migration:
    copied: int = 0
    already_there: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (sha256, reason)

    @property
    def failed(self) -> int:
        return len(self.failures)


def copy_receipts(
    source: FileSystemReceiptStore,
    target: ReceiptStorage,
    *,
    after_each: Callable[[str, Outcome], None] | None = None,
) -> Migration:
    """Copy every file of ``source`` into ``target``; failures are counted, not raised."""
    done = Migration()
    for sha256, path in source.digests():
        outcome: Outcome
        try:
            data = path.read_bytes()
            if sha256_of(data) != sha256:
                raise ValueError("the local file is damaged (its content has another SHA-256)")
            stored = target.store(data)
        except Exception as error:  # one file's failure never stops the others
            done.failures.append((sha256, _reason(error)))
            outcome = "failed"
        else:
            if stored.written:
                done.copied += 1
                outcome = "copied"
            else:
                done.already_there += 1
                outcome = "already there"
        if after_each is not None:
            after_each(sha256, outcome)
    return done


def _reason(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text if len(text) <= 300 else text[:299] + "…"
