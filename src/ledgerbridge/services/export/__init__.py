"""Use cases of the export to Exact Online: start a run, the saga per transaction, the queue."""
