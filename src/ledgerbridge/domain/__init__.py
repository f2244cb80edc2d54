"""The pure core: money, transactions, coding, export states, dimensions.

Nothing in this package does I/O or imports a framework (sqlalchemy, httpx,
fastapi, procrastinate, psycopg); tests/unit/test_domain_is_pure.py checks it.
"""
