"""Rows a GET reads: stored tables, or rows made on the fly (current/Me, system/Divisions)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from exact_sandbox.resources import RESOURCES, Resource

if TYPE_CHECKING:
    from exact_sandbox.core import CallContext, DivisionInfo, Sandbox

Row = dict[str, Any]
WEBHOOKS = "webhooks/WebhookSubscriptions"


def source_rows(sandbox: Sandbox, ctx: CallContext, division: int, resource: Resource) -> list[Row]:
    """Every row the resource shows to this caller in this division (insertion order)."""
    if resource.kind == "me":
        return [me_row(sandbox, ctx)]
    if resource.path == "system/Divisions":
        codes = ctx.user.divisions
        return [division_row(sandbox.divisions[c], ctx) for c in codes if c in sandbox.divisions]
    if resource.path == "system/AllDivisions":
        return [division_row(info, ctx) for info in sandbox.divisions.values()]
    if resource.path == "hrm/Divisions":
        rows = source_rows(sandbox, ctx, division, RESOURCES["system/Divisions"])
        return [{**row, "HID": row["Hid"], "Main": row["IsMainDivision"]} for row in rows]
    rows = sandbox.store.rows(division, resource.table)
    if resource.path == WEBHOOKS:
        return [row for row in rows if visible_to(row, resource, ctx)]
    return rows


def visible_to(row: Row, resource: Resource, ctx: CallContext) -> bool:
    """Webhook subscriptions are per app: one app never sees another's (§6)."""
    return resource.path != WEBHOOKS or row.get("ClientID") == ctx.app.client_id


def division_row(info: DivisionInfo, ctx: CallContext) -> Row:
    return {
        "Code": info.code, "Description": info.description, "Hid": info.hid,
        "Current": info.code == ctx.user.current_division, "IsMainDivision": info.is_main,
        "Customer": None, "CustomerCode": info.customer_code, "CustomerName": info.customer_name,
        "Country": info.country, "Currency": info.currency, "Legislation": info.legislation,
        "VATNumber": info.vat_number, "Status": info.status,
        "BlockingStatus": info.blocking_status, "DivisionMoveDate": info.division_move_date,
        "Created": info.created, "Modified": info.created,
    }  # fmt: skip


def me_row(sandbox: Sandbox, ctx: CallContext) -> Row:
    user = ctx.user
    info = sandbox.divisions.get(user.current_division)
    language = "nl-NL" if user.language == "NL" else "en-EN"
    return {
        "UserID": user.user_id, "CurrentDivision": user.current_division,
        "AccountingDivision": user.current_division, "DivisionCustomer": None,
        "DivisionCustomerCode": info.customer_code if info else None,
        "DivisionCustomerName": info.customer_name if info else None,
        "DivisionCustomerVatNumber": info.vat_number if info else None,
        "UserName": user.username, "FullName": user.full_name, "Email": user.email,
        "Language": language, "LanguageCode": language,
        "Legislation": info.legislation if info else "NL", "PackageCode": "ACC",
        "ServerTime": sandbox.clock.now().strftime("%Y-%m-%dT%H:%M:%S"), "ServerUtcOffset": 0,
    }  # fmt: skip
