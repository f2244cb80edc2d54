"""The Exact Online HTTP client: the only code that knows Exact's URLs, OData shapes and errors.

Modules: ``hosts`` (country hosts), ``errors`` (the exception tree), ``oauth`` (authorize URL,
code exchange, refresh), ``answers`` (the one status → exception mapping, for the API and the
token endpoint), ``http`` (transport, retries), ``pacing`` (rate-limit budget),
``error_budget`` (our own cap on 4xx answers), ``odata`` (paging and parsing), ``models``
(typed records, gathered from ``master_data``, ``entries`` and ``drafts``), ``api`` (typed
calls), ``adopt`` (create-or-adopt: the write-outcome contract) and ``probe`` (checks for a
real test division).
"""
