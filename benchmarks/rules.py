"""Rules at scale: apply rules retroactively to 100,000 transactions to prepare, and the
suggestion query's plan and time on a realistic table (not a test; prints figures).

    LEDGERBRIDGE_TEST_DATABASE_URL=postgresql://… uv run python benchmarks/rules.py [N]
"""

from __future__ import annotations

import sys
import time
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from ledgerbridge.db.testing import scratch_database
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.domain.dimensions import Dimension, DimensionKind
from ledgerbridge.services.prep import rules, suggestions

MERCHANTS = ["Coolblue", "Bol.com", "Albert Heijn", "Shell", "KLM", "NS", "Jumbo", "Uber"]


def main(count: int) -> None:
    with scratch_database("lb_bench_rules") as url:
        engine = create_engine(url)
        factory = sessionmaker(engine, expire_on_commit=False)
        uow = lambda: UnitOfWork(factory)  # noqa: E731
        with uow() as u:
            company = u.companies.add("bench", "Bench B.V.").id
            u.dimensions.save(company, [
                Dimension(DimensionKind.GL_ACCOUNT, "4230", "Office"),
                Dimension(DimensionKind.GL_ACCOUNT, "4600", "Travel"),
                Dimension(DimensionKind.VAT_CODE, "2", "21%"),
            ])  # fmt: skip
            u.commit()
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO transactions (id, company_id, external_id, kind, booking_date,"
                    " merchant_name, cardholder, description, amount, currency, original_amount,"
                    " original_currency, status, note)"
                    " SELECT gen_random_uuid(), :c, 'b-' || n, 'card_payment',"
                    " DATE '2026-01-01' + (n % 330), (CAST(:m AS text[]))[1 + n % 8],"
                    " 'Anna', 'item ' || n,"
                    " -10.00 - (n % 100), 'EUR', -10.00 - (n % 100), 'EUR',"
                    " CASE WHEN n % 10 = 0 THEN 'ready' ELSE 'to_prepare' END, ''"
                    " FROM generate_series(1, :n) AS n"
                ),
                {"c": company, "n": count, "m": MERCHANTS},
            )
            conn.execute(text("ANALYZE transactions"))
        actor = "bench"
        for name, merchant, gl in (("Coolblue", "coolblue", "4230"), ("Travel", "kl", "4600")):
            condition = {"field": "merchant", "match": "contains", "value": merchant}
            data = rules.RuleInput(name, [condition], {"gl_account": gl, "vat_code": "2"})
            rules.create_rule(uow, company, data, actor=actor)
        started = time.perf_counter()
        applied = rules.apply_retroactively(uow, company, actor)
        took = time.perf_counter() - started
        print(f"apply_retroactively over {count:,} rows: {took:.2f} s,", [a.count for a in applied])
        with engine.begin() as conn:
            conn.execute(text("ANALYZE transactions; ANALYZE coding_lines"))
            some = conn.execute(
                text("SELECT id FROM transactions WHERE merchant_name = 'Coolblue' LIMIT 1")
            ).scalar_one()
        started = time.perf_counter()
        found = suggestions.suggestions_for(uow, company, some)
        print(f"suggestion: {(time.perf_counter() - started) * 1000:.1f} ms,", found.suggestion)
        with UnitOfWork(factory) as u:
            query = u.transactions.session.connection()
            plan = query.exec_driver_sql(
                "EXPLAIN ANALYZE SELECT t.id FROM transactions t WHERE t.company_id = %(c)s"
                " AND lower(t.merchant_name) = 'coolblue' AND t.id <> %(i)s"
                " ORDER BY t.booking_date DESC, t.id LIMIT 12",
                {"c": company, "i": uuid.UUID(str(some))},
            ).all()
            print("\n".join(row[0] for row in plan))
        engine.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
