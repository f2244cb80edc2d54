"""The pure core: money, transactions, coding, VAT, export states, dimensions.

- ``money``: ``Money``, ``parse_amount`` (typed amounts such as "1.234,56")
- ``transactions``: ``Transaction``, ``validate_transaction``
- ``coding``: ``CodingLine``, ``Coding.for_transaction``
- ``vat``: ``VatRule``, ``split_vat`` (net/VAT per line, to the cent)
- ``validation``: ``coding_problems`` (is a coding bookable in Exact on a day?), with
  ``preflight`` (VAT amounts, totals, period, receipt, settings) and ``problems``
  (``CodingProblem`` and its message templates)
- ``export_settings``: ``ExportSettings``, ``LedgerAccounts``, ``FinancialPeriod``
- ``journal``: ``map_transaction`` (purchase entry + bank entry line, BOOKKEEPING.md);
  ``journal_preview``: ``preview`` (their debit/credit rows)
- ``export_status``: the export state machine; ``dimensions``: ``Dimension``
- ``dimension_facts``: typed facts per kind (``GLAccountFacts``, ``VatCodeFacts``…)
- ``dimension_sync``: the sync planner, its summary, and ``sync_problems`` (its impact)

Nothing in this package does I/O or imports a framework (sqlalchemy, httpx,
fastapi, procrastinate, psycopg); tests/unit/test_domain_is_pure.py checks it.
"""
