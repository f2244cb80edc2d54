"""The demo administration's master data as plain tables (used by ``seed.py``)."""

from __future__ import annotations

VatRate = tuple[str, str | None, str | None]

#: (code, description, GL type, UseCostcenter, UseCostunit, default VAT code, blocked)
#: UseCost*: 0 optional, 1 mandatory, 2 not allowed.
GL_ACCOUNTS = [
    ("0200", "Computers", 30, 0, 0, None, False),
    ("0500", "Share capital", 50, 0, 0, None, False),
    ("1000", "Cash", 10, 0, 0, None, False),
    ("1100", "Bank", 12, 0, 0, None, False),
    ("1105", "Credit card", 14, 0, 0, None, False),
    ("1300", "Debtors", 20, 0, 0, None, False),
    ("1510", "VAT to pay", 24, 0, 0, None, False),
    ("1520", "VAT to claim", 24, 0, 0, None, False),
    ("1600", "Creditors", 22, 0, 0, None, False),
    ("2000", "Transfers", 90, 0, 0, None, False),
    ("4000", "Salaries", 125, 0, 0, None, False),
    ("4100", "Rent and housing", 121, 0, 0, "2", False),
    ("4200", "Office supplies", 121, 0, 0, "2", False),
    ("4230", "Computer equipment", 121, 0, 0, "2", False),
    ("4300", "Travel expenses", 121, 1, 0, "2", False),
    ("4310", "Air travel", 121, 0, 0, "6", False),
    ("4320", "Hotel costs", 121, 0, 0, "5", False),
    ("4330", "Parking", 121, 0, 0, "3", False),
    ("4340", "Fuel", 121, 0, 0, "3", False),
    ("4400", "Software subscriptions", 121, 0, 0, "7", False),
    ("4410", "Cloud hosting", 123, 0, 1, "8", False),
    ("4500", "Representation", 121, 0, 0, "0", False),
    ("4510", "Business meals", 121, 0, 0, "0", False),
    ("4520", "Canteen costs", 121, 0, 0, "5", False),
    ("4600", "Marketing", 121, 2, 0, "2", False),
    ("4700", "Training", 126, 0, 0, "2", False),
    ("4800", "Depreciation", 122, 0, 0, None, False),
    ("4900", "Bank charges", 121, 0, 0, "0", False),
    ("4950", "Exceptional costs", 130, 0, 0, "2", False),
    ("4990", "Sundry costs (old)", 121, 0, 0, "2", True),
    ("7000", "Cost of goods sold", 111, 0, 0, "2", False),
    ("8000", "Revenue", 110, 0, 0, "1", False),
    ("8900", "Other revenue (old)", 110, 0, 0, "1", True),
]

#: (code, description, type E/I/B/N, side P/S/B, [(fraction, start, end)], charged, blocked)
VAT_CODES: list[tuple[str, str, str, str, list[VatRate], bool, bool]] = [
    ("0", "No VAT", "N", "B", [("0", None, None)], False, False),
    ("1", "Sales 21% excl.", "E", "S", [("0.21", None, None)], False, False),
    ("2", "Purchases 21% excl.", "E", "P", [("0.21", None, None)], False, False),
    ("3", "Purchases 21% incl.", "I", "P", [("0.21", None, None)], False, False),
    ("4", "Purchases 9% excl.", "E", "P",
     [("0.06", None, "2018-12-31"), ("0.09", "2019-01-01", None)], False, False),
    ("5", "Purchases 9% incl.", "I", "P",
     [("0.06", None, "2018-12-31"), ("0.09", "2019-01-01", None)], False, False),
    ("6", "Purchases 0%", "B", "P", [("0", None, None)], False, False),
    ("7", "Reverse charge EU services", "E", "P", [("0.21", None, None)], True, False),
    ("8", "Reverse charge non-EU services", "E", "P", [("0.21", None, None)], True, False),
    ("9", "Purchases 19% (old)", "E", "P", [("0.19", None, None)], False, True),
    ("10", "Sales 9% excl.", "E", "S", [("0.09", None, None)], False, False),
]  # fmt: skip

#: (code, description, ended)
COST_CENTERS = [
    ("100", "Management", False),
    ("200", "Sales", False),
    ("300", "Development", False),
    ("400", "Operations", False),
    ("900", "Old department", True),
]
COST_UNITS = [
    ("P1", "Product A", False),
    ("P2", "Product B", False),
    ("P9", "Discontinued product", True),
]

#: (code, description, type, GL account code, blocked)
JOURNALS = [
    ("10", "Bank", 12, "1100", False),
    ("20", "Credit card", 12, "1105", False),
    ("60", "Purchases", 22, "1600", False),
    ("61", "Purchases (old)", 22, "1600", True),
    ("70", "Sales", 20, "1300", False),
    ("90", "General journal", 90, None, False),
]

#: (ID, description, category, creatable)
DOCUMENT_TYPES = [
    (10, "Sales invoice", 1, True),
    (20, "Purchase invoice", 2, True),
    (40, "Bank statement", 3, True),
    (55, "Sales order", 1, False),
    (183, "General attachment", 9, True),
]

DEMO_MERCHANTS = [
    ("Albert Heijn", "NL"), ("Jumbo", "NL"), ("NS", "NL"), ("KLM", "NL"), ("Transavia", "NL"),
    ("Coolblue", "NL"), ("Bol.com", "NL"), ("Shell", "NL"), ("Q-Park", "NL"),
    ("Hotel V Nesplein", "NL"), ("Restaurant Blauw", "NL"), ("Gamma", "NL"), ("Atlassian", "IE"),
    ("Google Cloud EMEA", "IE"), ("Slack Technologies", "IE"), ("Amazon Web Services", "US"),
    ("GitHub", "US"), ("Zoom", "US"), ("Pret A Manger", "GB"), ("Premier Inn", "GB"),
    ("British Airways", "GB"), ("Uber", "NL"),
]  # fmt: skip

SUPPLIER_WORDS = (
    ["Van Dijk", "De Boer", "Bakker", "Jansen", "Visser", "Smit", "Mulder", "Bos", "Vos",
     "Peters", "Hendriks", "Dekker", "Brouwer", "De Wit", "Dijkstra", "Kok"],
    ["Kantoor", "Techniek", "Installatie", "Drukwerk", "Advies", "Transport", "Catering",
     "Schoonmaak", "ICT", "Bouw", "Media", "Logistiek"],
    ["B.V.", "V.O.F.", "Groep", "& Zn.", "Nederland B.V.", "Services"],
)  # fmt: skip
