"""All SQLAlchemy models. Importing this package registers every table on ``Base.metadata``.

Each module here holds the tables of one area (core, exact connection,
dimensions, …); this package imports them all so Alembic and the tests see
the complete schema.
"""

from __future__ import annotations

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
