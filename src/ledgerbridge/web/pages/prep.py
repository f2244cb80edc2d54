"""Prep on the Transactions pages (bookkeeper or admin; a viewer only reads):

- the drawer's coding form: ``POST /transactions/{id}/coding`` saves the lines (or adds
  or removes a line without saving); a refusal shows each problem beside its field
  with the input kept; ``/ready`` and ``/reopen`` move it between the tabs;
- ``POST /transactions/{id}/period-choice``: post in the first open period (``choice=1``)
  when the date's period is closed, or in the date's own period again (``choice=0``);
- ``GET /dimensions/options``: the pickers' values for what was typed (code or name);
- the bulk bar: ``POST /transactions/bulk/assign``, ``/bulk/ready``, ``/bulk/reopen`` on
  the rows ticked (``ids``) or on "all N matching this filter" (the list's filters).

Every action is a plain form post (CSRF token) answered with the page; with htmx the
drawer (or the list) is swapped in place and the row and the tab counts follow (out of
band). The rules live in ``services.prep.coding``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from ledgerbridge.domain.dimensions import DimensionKind
from ledgerbridge.i18n import N_
from ledgerbridge.services.access.principal import require_role
from ledgerbridge.services.errors import ConflictError, InvalidRequest, ItemsRefused, NotFoundError
from ledgerbridge.services.prep import coding
from ledgerbridge.services.transactions import query as queries
from ledgerbridge.web.pages import coding_form
from ledgerbridge.web.pages.common import (
    Viewer,
    back_to,
    check_csrf,
    container,
    problem_of,
    render,
    viewer,
)
from ledgerbridge.web.pages.transactions import (
    NOTICES,
    TABS,
    Filters,
    drawer_page,
    list_page,
    selectable,
)

router = APIRouter()
PICKER_KINDS = {kind.value: kind for _, kind in coding_form.PICKED}
SHOWN_PER_RESULT = 20


def _htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


@router.get("/dimensions/options", response_model=None)
def dimension_options(request: Request, kind: str = "gl_account", q: str = "") -> HTMLResponse:
    """``<option>``s for a picker's ``<datalist>``: what matches the typed code or name
    (sent as ``q`` or under the kind's own name, as the picker's input does)."""
    who = viewer(request)
    company = require_role(who.principal, "viewer")
    chosen = PICKER_KINDS.get(kind, DimensionKind.GL_ACCOUNT)
    typed = (q or request.query_params.get(chosen.value, "")).replace("\x00", "").strip()[:100]
    found = coding_form.options(container(request), company.id, chosen, typed or None)
    return render(request, "dimension_options.html", who, options=found)


def posted_filters(
    status: str = Form(""),
    date_from: str = Form(""),
    date_to: str = Form(""),
    merchant: str = Form(""),
    amount_min: str = Form(""),
    amount_max: str = Form(""),
    cardholder: str = Form(""),
    has_receipt: str = Form(""),
    currency: str = Form(""),
    q: str = Form(""),
) -> Filters:
    """The list's filters, as the bulk bar's hidden fields carry them."""
    return Filters.of(
        {
            "status": status,
            "date_from": date_from,
            "date_to": date_to,
            "merchant": merchant,
            "amount_min": amount_min,
            "amount_max": amount_max,
            "cardholder": cardholder,
            "has_receipt": has_receipt,
            "currency": currency,
            "q": q,
        }
    )


# -- the bulk bar (before /transactions/{id}/…: "bulk" is not an id) ------------------------------


@router.post("/transactions/bulk/assign", response_model=None)
def bulk_assign(
    request: Request,
    csrf_token: str = Form(""),
    scope: str = Form("selected"),
    ids: list[str] = Form([]),
    filters: Filters = Depends(posted_filters),
    gl_account: str = Form(""),
    vat_code: str = Form(""),
    cost_center: str = Form(""),
    cost_unit: str = Form(""),
    project: str = Form(""),
    description: str = Form(""),
) -> HTMLResponse:
    typed = {
        "gl_account": gl_account,
        "vat_code": vat_code,
        "cost_center": cost_center,
        "cost_unit": cost_unit,
        "project": project,
        "description": description,
    }
    values: dict[str, str | None] = {
        name: value.strip()[:255] for name, value in typed.items() if value.strip()
    }

    def act(app: Any, company_id: uuid.UUID, chosen: list[uuid.UUID], actor: str) -> Any:
        if not values:
            raise InvalidRequest(
                N_("fill in at least one value to assign; empty fields stay as they are")
            )
        outcomes = coding.assign(app.uow, company_id, chosen, values, actor=actor)
        kept = [(o.transaction_id, [p.message for p in o.problems]) for o in outcomes if o.problems]
        return {"action": "assign", "done": len(outcomes), "kept": kept}

    return _bulk(request, filters, csrf_token, scope, ids, act, assigned=typed)


@router.post("/transactions/bulk/ready", response_model=None)
def bulk_ready(
    request: Request,
    csrf_token: str = Form(""),
    scope: str = Form("selected"),
    ids: list[str] = Form([]),
    filters: Filters = Depends(posted_filters),
) -> HTMLResponse:
    def act(app: Any, company_id: uuid.UUID, chosen: list[uuid.UUID], actor: str) -> Any:
        outcomes = coding.mark_ready(app.uow, company_id, chosen, actor=actor)
        kept = [
            (o.transaction_id, [p.message for p in o.problems]) for o in outcomes if not o.ready
        ]
        return {"action": "ready", "done": len(outcomes) - len(kept), "kept": kept}

    return _bulk(request, filters, csrf_token, scope, ids, act)


@router.post("/transactions/bulk/reopen", response_model=None)
def bulk_reopen(
    request: Request,
    csrf_token: str = Form(""),
    scope: str = Form("selected"),
    ids: list[str] = Form([]),
    filters: Filters = Depends(posted_filters),
) -> HTMLResponse:
    def act(app: Any, company_id: uuid.UUID, chosen: list[uuid.UUID], actor: str) -> Any:
        moved = coding.reopen(app.uow, company_id, chosen, actor=actor)
        return {"action": "reopen", "done": len(moved), "kept": []}

    return _bulk(request, filters, csrf_token, scope, ids, act)


def _bulk(
    request: Request,
    filters: Filters,
    csrf_token: str,
    scope: str,
    ids: list[str],
    act: Any,
    **context: Any,
) -> HTMLResponse:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "bookkeeper")
    app = container(request)
    result: dict[str, Any]
    status = 200
    try:
        chosen = chosen_ids(app, company.id, filters, scope, ids)
        result = act(app, company.id, chosen, who.principal.actor)
        result["kept_total"] = len(result["kept"])
        result["kept"] = _named(app, company.id, result["kept"])
    except ItemsRefused as error:
        status = 422
        result = {
            "refused": problem_of(error),
            "listed": named_items(app, company.id, error.items),
        }
    except (InvalidRequest, ConflictError) as error:
        status = 400 if isinstance(error, InvalidRequest) else 409
        result = {"refused": problem_of(error), "listed": []}
    result["scope"] = scope
    result["ids"] = set(ids[: coding.MAX_SELECTION]) if "refused" in result else set()
    return list_page(request, who, company.id, filters, status=status, bulk=result, **context)


def chosen_ids(
    app: Any, company_id: uuid.UUID, filters: Filters, scope: str, ids: list[str]
) -> list[uuid.UUID]:
    if scope == "all":
        return coding.matching_ids(app.uow, company_id, filters.query())
    chosen = []
    for text in ids[: coding.MAX_SELECTION + 1]:
        try:
            chosen.append(uuid.UUID(text))
        except ValueError:
            raise InvalidRequest(
                N_("%(id)s is not a transaction of this list", id=text[:40])
            ) from None
    return chosen


def _named(
    app: Any, company_id: uuid.UUID, kept: list[tuple[uuid.UUID, list[str]]]
) -> list[dict[str, Any]]:
    """The first kept-back transactions with a name to show and a link to each."""
    shown: list[dict[str, Any]] = []
    for txn_id, messages in kept[:SHOWN_PER_RESULT]:
        detail = queries.get_transaction(app.uow(), company_id, txn_id)
        name = _name_of(detail.transaction) if detail else str(txn_id)
        shown.append({"id": str(txn_id), "name": name, "messages": messages})
    if len(kept) > SHOWN_PER_RESULT:
        shown.append({"id": "", "name": "", "messages": [], "more": len(kept) - SHOWN_PER_RESULT})
    return shown


def named_items(app: Any, company_id: uuid.UUID, items: list[dict[str, str]]) -> list[Any]:
    shown: list[dict[str, Any]] = []
    for item in items[:SHOWN_PER_RESULT]:
        name = ""
        try:
            txn_id = uuid.UUID(item.get("id", ""))
        except ValueError:
            txn_id = None
        if txn_id is not None:
            detail = queries.get_transaction(app.uow(), company_id, txn_id)
            name = _name_of(detail.transaction) if detail else ""
        shown.append(
            {"id": item.get("id", "") if name else "", "name": name, "messages": [item["message"]]}
        )
    if len(items) > SHOWN_PER_RESULT:
        shown.append({"id": "", "name": "", "messages": [], "more": len(items) - SHOWN_PER_RESULT})
    return shown


def _name_of(txn: queries.TransactionView) -> str:
    return f"{txn.merchant_name or txn.description or txn.external_id} ({txn.external_id})"


# -- the drawer ----------------------------------------------------------------------------------


@router.post("/transactions/{transaction_id}/coding", response_model=None)
def save_coding(
    request: Request,
    transaction_id: uuid.UUID,
    csrf_token: str = Form(""),
    gl_account: list[str] = Form([]),
    vat_code: list[str] = Form([]),
    cost_center: list[str] = Form([]),
    cost_unit: list[str] = Form([]),
    project: list[str] = Form([]),
    amount: list[str] = Form([]),
    line_description: list[str] = Form([]),
    note: str = Form(""),
    add_line: str = Form(""),
    remove_line: str = Form(""),
) -> Response:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "bookkeeper")
    app = container(request)
    detail = queries.get_transaction(app.uow(), company.id, transaction_id)
    if detail is None:
        raise NotFoundError(f"transaction {transaction_id} not found")
    typed = {
        "gl_account": gl_account,
        "vat_code": vat_code,
        "cost_center": cost_center,
        "cost_unit": cost_unit,
        "project": project,
        "amount": amount,
        "description": line_description,
    }
    form = coding_form.from_fields(typed, note.replace("\x00", ""))
    if add_line:
        form = coding_form.with_line_added(
            form, detail.transaction.amount, detail.transaction.currency
        )
        return drawer_page(request, who, company.id, transaction_id, form=form, problems=[])
    if remove_line.isdigit():
        form = coding_form.with_line_removed(form, int(remove_line))
        return drawer_page(request, who, company.id, transaction_id, form=form, problems=[])
    lines, problems = coding_form.inputs(form)
    if problems:
        return _refused(request, who, company.id, transaction_id, form, problems)
    try:
        outcome = coding.code_transaction(
            app.uow, company.id, transaction_id, lines, note=form.note, actor=who.principal.actor
        )
    except coding.CodingRefused as error:
        return _refused(request, who, company.id, transaction_id, form, error.problems)
    except ItemsRefused as error:
        found = coding_form.refused_problems(error.items)
        return _refused(request, who, company.id, transaction_id, form, found)
    except ConflictError as error:
        return drawer_page(
            request, who, company.id, transaction_id, 409, form=form, problems=[],
            problem=problem_of(error),
        )  # fmt: skip
    except InvalidRequest as error:  # the note too long
        found = [coding.Problem(0, "note", "refused", problem_of(error))]
        return _refused(request, who, company.id, transaction_id, form, found)
    if not _htmx(request):
        return back_to(f"/transactions/{transaction_id}?notice=saved")
    return _changed(
        request, who, company.id, transaction_id, notice=NOTICES["saved"],
        problems=outcome.problems,
    )  # fmt: skip


def _refused(
    request: Request,
    who: Viewer,
    company_id: uuid.UUID,
    transaction_id: uuid.UUID,
    form: coding_form.CodingForm,
    problems: list[coding.Problem],
) -> HTMLResponse:
    """The form as typed, each problem beside its field; nothing was saved."""
    return drawer_page(
        request, who, company_id, transaction_id, 422, form=form, problems=problems,
        refused=True,
    )  # fmt: skip


@router.post("/transactions/{transaction_id}/ready", response_model=None)
def mark_ready(request: Request, transaction_id: uuid.UUID, csrf_token: str = Form("")) -> Response:
    def act(app: Any, company_id: uuid.UUID, actor: str) -> tuple[str, list[coding.Problem] | None]:
        (outcome,) = coding.mark_ready(app.uow, company_id, [transaction_id], actor=actor)
        return ("ready" if outcome.ready else "kept"), outcome.problems

    return _move(request, transaction_id, csrf_token, act)


@router.post("/transactions/{transaction_id}/reopen", response_model=None)
def reopen(request: Request, transaction_id: uuid.UUID, csrf_token: str = Form("")) -> Response:
    def act(app: Any, company_id: uuid.UUID, actor: str) -> tuple[str, list[coding.Problem] | None]:
        coding.reopen(app.uow, company_id, [transaction_id], actor=actor)
        return "reopened", None  # the drawer judges the stored coding again

    return _move(request, transaction_id, csrf_token, act)


@router.post("/transactions/{transaction_id}/period-choice", response_model=None)
def period_choice(
    request: Request, transaction_id: uuid.UUID, csrf_token: str = Form(""), choice: str = Form("")
) -> Response:
    """Post in the first open period (``choice=1``) or in the date's own period (``0``)."""
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "bookkeeper")
    app = container(request)
    before = queries.get_transaction(app.uow(), company.id, transaction_id)
    if before is None:
        raise NotFoundError(f"transaction {transaction_id} not found")
    try:
        outcome = coding.set_period_choice(
            app.uow, company.id, transaction_id, choice == "1", actor=who.principal.actor
        )
    except (ItemsRefused, ConflictError) as error:
        status = 422 if isinstance(error, ItemsRefused) else 409
        return drawer_page(request, who, company.id, transaction_id, status,
                           problem=problem_of(error))  # fmt: skip
    notice = "period_moved" if outcome.chosen else "period_kept"
    if outcome.status != before.transaction.status:
        notice = "period_back"
    if not _htmx(request):
        return back_to(f"/transactions/{transaction_id}?notice={notice}")
    return _changed(request, who, company.id, transaction_id, notice=NOTICES[notice],
                    problems=outcome.problems)  # fmt: skip


def _move(
    request: Request,
    transaction_id: uuid.UUID,
    csrf_token: str,
    act: Callable[[Any, uuid.UUID, str], tuple[str, list[coding.Problem] | None]],
) -> Response:
    """Mark ready or reopen one from the drawer: the drawer again (with htmx, the row and
    the counts too) with the outcome's notice, or the refusal as a 409 drawer."""
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "bookkeeper")
    app = container(request)
    _existing(app, company.id, transaction_id)
    try:
        notice, problems = act(app, company.id, who.principal.actor)
    except ItemsRefused as error:
        shown = "; ".join(str(item["message"]) for item in error.items)
        return drawer_page(request, who, company.id, transaction_id, 409, problem=shown)
    if not _htmx(request):
        return back_to(f"/transactions/{transaction_id}?notice={notice}")
    return _changed(request, who, company.id, transaction_id, notice=NOTICES[notice],
                    problems=problems)  # fmt: skip


def _existing(app: Any, company_id: uuid.UUID, transaction_id: uuid.UUID) -> None:
    if queries.get_transaction(app.uow(), company_id, transaction_id) is None:
        raise NotFoundError(f"transaction {transaction_id} not found")


def _changed(
    request: Request,
    who: Viewer,
    company_id: uuid.UUID,
    transaction_id: uuid.UUID,
    **context: Any,
) -> HTMLResponse:
    """The drawer after a change, with the list's row and tab counts out of band (for the
    list the browser shows: ``HX-Current-URL``), and ``coding-saved`` for the preview."""
    oob = _list_state(request, who, company_id, transaction_id)
    answer = drawer_page(request, who, company_id, transaction_id, oob=oob, **context)
    answer.headers["HX-Trigger"] = "coding-saved"
    return answer


def _list_state(
    request: Request, who: Viewer, company_id: uuid.UUID, transaction_id: uuid.UUID
) -> dict[str, Any] | None:
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    if current.path != "/transactions":
        return None
    filters = Filters.of(dict(parse_qsl(current.query)))
    app = container(request)
    counts = queries.status_counts(app.uow(), company_id, filters.query())
    detail = queries.get_transaction(app.uow(), company_id, transaction_id)
    row = detail.transaction if detail and detail.transaction.status == filters.status else None
    return {
        "filters": filters,
        "counts": counts,
        "row": row,
        "row_id": str(transaction_id),
        "tabs": TABS,
        "count_cap": queries.COUNT_CAP,
        "selectable": selectable(who, filters),
    }
