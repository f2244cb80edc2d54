"""Exact's error texts in English and Dutch, and the OData error body that carries them.

The patterns follow EXACT_API.md §2.6 ("Mandatory: Journal" / "Verplicht:
Dagboek", "Ongeldig: Grootboekrekeningtype", "In gebruik: Boekstuknummer" …).
Technical OData errors (filter syntax, type conversion) are English in every
language, as Exact's OData layer answers them.
"""

from __future__ import annotations

import json

#: Field and concept names as Exact's UI labels them: key → (English, Dutch).
LABELS: dict[str, tuple[str, str]] = {
    "journal": ("Journal", "Dagboek"),
    "journal_type": ("Journal (type)", "Dagboek (soort)"),
    "supplier": ("Supplier", "Leverancier"),
    "lines": ("Lines", "Regels"),
    "gl_account": ("G/L account", "Grootboekrekening"),
    "gl_account_type": ("G/L account type", "Grootboekrekeningtype"),
    "amount": ("Amount", "Bedrag"),
    "vat_code": ("VAT code", "Btw-code"),
    "cost_center": ("Cost center", "Kostenplaats"),
    "cost_unit": ("Cost unit", "Kostendrager"),
    "project": ("Project", "Project"),
    "entry_number": ("Entry number", "Boekstuknummer"),
    "subject": ("Subject", "Onderwerp"),
    "document_type": ("Document type", "Documentsoort"),
    "document": ("Document", "Document"),
    "file_name": ("File name", "Bestandsnaam"),
    "attachment": ("Attachment", "Bijlage"),
    "account": ("Account", "Relatie"),
    "name": ("Name", "Naam"),
    "code": ("Code", "Code"),
    "description": ("Description", "Omschrijving"),
    "type": ("Type", "Soort"),
    "callback_url": ("Callback URL", "Callback-URL"),
    "topic": ("Topic", "Onderwerp"),
    "entry": ("Entry", "Boeking"),
    "entry_date": ("Entry date", "Boekdatum"),
    "key": ("ID", "ID"),
}

#: Message patterns: key → (English, Dutch); ``{label}`` is a translated LABELS entry.
PATTERNS: dict[str, tuple[str, str]] = {
    "mandatory": ("Mandatory: {label}", "Verplicht: {label}"),
    "invalid": ("Invalid: {label}", "Ongeldig: {label}"),
    "invalid_reference": ("Invalid reference: {label}", "Ongeldige referentie: {label}"),
    "not_allowed": ("Not allowed: {label}", "Niet toegestaan: {label}"),
    "blocked": ("Blocked: {label}", "Geblokkeerd: {label}"),
    "inactive": ("Inactive: {label}", "Niet actief: {label}"),
    "in_use": ("In use: {label}", "In gebruik: {label}"),
    "period_closed": ("Period is closed", "Periode is afgesloten"),
    "unknown_period": (
        "Unknown: Fiscal year (Period - date table).",
        "Onbekend: Boekjaar (Periode - datumtabel).",
    ),
    "vat_mismatch": (
        "Entry 17: The amount of the VAT line ({given}) does not match the VAT calculated on "
        "the base lines ({expected}) for VAT code {code}.",
        "Invoer 17: Het bedrag van de BTW regel ({given}) komt niet overeen met de BTW berekend "
        "over de basisregels ({expected}) voor btw-code {code}.",
    ),
    "duplicate": (
        "Duplicate: an entry for this supplier with the same your ref., date and amount "
        "already exists.",
        "Dubbel: er bestaat al een boeking voor deze leverancier met dezelfde uw ref., datum "
        "en bedrag.",
    ),
    "not_balanced": (
        "The entry is not balanced: opening balance + lines <> closing balance. "
        "Difference: EUR {difference}",
        "De boeking is niet in evenwicht: beginsaldo + regels <> eindsaldo. "
        "Verschil: EUR {difference}",
    ),
    "attachment_too_large": (
        "The file is too large. Maximum file size: {limit} MB.",
        "Het bestand is te groot. Maximale bestandsgrootte: {limit} MB.",
    ),
    "https_required": (
        "Invalid: Callback URL (only HTTPS is allowed)",
        "Ongeldig: Callback-URL (alleen HTTPS is toegestaan)",
    ),
    "matched": (
        "Not allowed: the entry is (partly) matched",
        "Niet toegestaan: de boeking is (gedeeltelijk) afgeletterd",
    ),
}


def label(key: str, language: str) -> str:
    english, dutch = LABELS.get(key, (key, key))
    return dutch if language == "NL" else english


def text(pattern: str, language: str, label_key: str | None = None, **params: object) -> str:
    """One message in the caller's language ("NL" → Dutch, anything else → English)."""
    english, dutch = PATTERNS[pattern]
    template = dutch if language == "NL" else english
    if label_key is not None:
        params["label"] = label(label_key, language)
    return template.format(**params)


def error_body(message: str, lang: str = "") -> bytes:
    """Exact's OData error JSON: ``{"error": {"code": "", "message": {"lang", "value"}}}``."""
    payload = {"error": {"code": "", "message": {"lang": lang, "value": message}}}
    return json.dumps(payload).encode()


# Technical OData texts (always English).
SELECT_REQUIRED = "Please add a $select or a $top=1 statement to the query string."
FILTER_REQUIRED = (
    "A $filter is mandatory on this endpoint; use the sync endpoint to read all records."
)
NEW_ENTITY_IN_UPDATE = (
    "Error processing request stream. Binding to new entities is not supported in update "
    "operations."
)
INVALID_JSON = (
    "Error processing request stream. The request should be a valid top-level resource object."
)


def conversion_error(field: str, clr_type: str) -> str:
    """The 400 text for a payload value that cannot become the property's type."""
    return (
        "Error processing request stream. Error encountered in converting the value from "
        f"request payload for property '{field}' to type '{clr_type}', which is the property's "
        "type. See inner exception for more detail."
    )


def unknown_property(field: str, entity: str) -> str:
    return (
        f"Error processing request stream. The property name '{field}' specified for type "
        f"'{entity}' is not valid."
    )


def not_found(segment: str) -> str:
    return f"Resource not found for the segment '{segment}'."
