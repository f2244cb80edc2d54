"""An Exact Online simulator: the Exact that the demo, the tests and the benchmarks meet.

It must behave as ../shared/EXACT_API.md describes Exact, never as our client
happens to expect. Nothing outside ``sandbox/`` and the tests imports from it,
except the app wiring that mounts it and the CLI that serves it.
"""
