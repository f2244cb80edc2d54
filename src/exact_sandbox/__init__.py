"""An Exact Online simulator: the Exact that the demo, the tests and the benchmarks meet.

It must behave as ../shared/EXACT_API.md describes Exact, never as a client
happens to expect. A package of its own: it imports nothing of the application
it stands in for. Served alone by ``exact-sandbox`` (``exact_sandbox.cli``,
settings ``EXACT_SANDBOX_*`` in ``exact_sandbox.config``), mounted in another
ASGI app (``serve.sandbox_asgi``), or called in-process (``transport``).
Persisted, it keeps its data in its own PostgreSQL schema ``exact_sandbox``,
which it creates and migrates itself (``schema``).
"""
