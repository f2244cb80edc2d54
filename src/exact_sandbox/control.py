"""Inspect and steer a running sandbox: the ``/_sandbox/`` JSON API and its Python twin.

``SandboxControl(sandbox)`` offers every operation as a method (tests call
these); ``control_routes(sandbox)`` exposes the same over HTTP:

- ``GET /_sandbox/state``: clock, settings, users, apps, token chains, faults,
  rate usage, blocks and call counts (no passwords, no token values);
- ``POST /_sandbox/reset`` ``{"seed": "demo" | null}``: forget everything, seed again;
- ``POST /_sandbox/seed`` ``{"division", "gl_accounts", "suppliers", "projects"}``;
- ``GET|POST /_sandbox/clock`` ``{"advance": seconds}`` or ``{"set": iso}`` (no offset: UTC);
- ``GET|POST|DELETE /_sandbox/faults`` (fields of ``FaultInjector.add``) and
  ``DELETE /_sandbox/faults/{id}``;
- ``POST /_sandbox/tokens/revoke`` ``{"username", "client_id"}``;
- ``POST /_sandbox/users/{username}`` ``{"active", "blocked", "signed_out"}``;
- ``POST /_sandbox/divisions/{d}/gl-accounts/{code}`` and ``…/vat-codes/{code}``
  ``{"blocked": bool}``; ``POST /_sandbox/divisions/{d}/periods/{year}/{period}``
  ``{"closed": bool}``;
- ``GET /_sandbox/calls?by=endpoint|division|minute|method``;
- ``GET|POST /_sandbox/settings``: read or change ``SandboxSettings``;
- ``GET /_sandbox/webhooks``: pending webhook deliveries; ``POST /_sandbox/webhooks/deliver``
  sends them now (``webhooks.WebhookOutbox``); ``POST /_sandbox/apps/{client_id}/webhook-secret``
  ``{"secret"}`` sets an app's webhook secret.

Unknown things answer 404, bad input 400, both ``{"detail": "…"}``.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from exact_sandbox.faults import FaultRule
from exact_sandbox.webhooks import Delivery, Sender, Sent

if TYPE_CHECKING:
    from exact_sandbox.core import Sandbox, SandboxUser

CALL_GROUPINGS = ("endpoint", "division", "minute", "method")


class SandboxControl:
    """The control operations as Python calls (the HTTP routes call exactly these)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def state(self) -> dict[str, Any]:
        """A JSON-friendly picture of the sandbox (no passwords or token values)."""
        sb = self.sandbox
        return {
            "now": sb.clock.now().isoformat(),
            "settings": dataclasses.asdict(sb.settings),
            "users": [_user_json(u) for u in sb.users.values()],
            "apps": [{"client_id": a.client_id, "name": a.name} for a in sb.apps.values()],
            "divisions": [
                {"code": d.code, "description": d.description} for d in sb.divisions.values()
            ],
            "token_chains": sb.auth.chains(),
            "faults": [rule.as_json() for rule in sb.faults.rules()],
            "rate_usage": sb.limits.usage(),
            "blocked": sb.limits.blocks(),
            "calls": self.calls("endpoint"),
        }

    def reset(self, seed: str | None = "demo") -> None:
        """Forget data, tokens, counts and faults; seed again (``None``: empty)."""
        self.sandbox.reset(seed)
        self.sandbox.auth.reset()
        self.sandbox.limits.reset()
        self.sandbox.faults.clear()

    def seed(
        self, division: int, gl_accounts: int = 0, suppliers: int = 0, projects: int = 0
    ) -> None:
        """Generate a large division (benchmarks) with DATA's seeder."""
        from exact_sandbox import seed as seeding

        seeding.seed_large_division(
            self.sandbox, division, gl_accounts=gl_accounts, suppliers=suppliers, projects=projects
        )

    def advance(self, seconds: float) -> datetime:
        """Move a FakeClock forward; ValueError on a real clock."""
        return self._fake_clock().advance(timedelta(seconds=seconds))

    def set_clock(self, instant: datetime) -> datetime:
        """Set a FakeClock to a later instant; ValueError on a real clock or the past."""
        self._fake_clock().set(instant)
        return self.sandbox.clock.now()

    def add_fault(self, **fields: Any) -> FaultRule:
        """Add a fault rule (fields of ``FaultInjector.add``)."""
        return self.sandbox.faults.add(**fields)

    def fault_rules(self) -> list[FaultRule]:
        """Fault rules that can still fire."""
        return self.sandbox.faults.rules()

    def revoke_tokens(self, username: str | None = None, client_id: str | None = None) -> int:
        """Kill live token chains; returns how many died."""
        return self.sandbox.auth.revoke(username, client_id)

    def set_user(
        self,
        username: str,
        *,
        active: bool | None = None,
        blocked: bool | None = None,
        signed_out: bool | None = None,
    ) -> SandboxUser:
        """Deactivate/reactivate, block/unblock or sign out a user; KeyError when unknown."""
        user = self.sandbox.user_by_name(username)
        user.active = user.active if active is None else active
        user.blocked = user.blocked if blocked is None else blocked
        user.signed_out = user.signed_out if signed_out is None else signed_out
        return user

    def block_gl_account(self, division: int, code: str, blocked: bool = True) -> None:
        self.sandbox.block_gl_account(division, code, blocked)

    def block_vat_code(self, division: int, code: str, blocked: bool = True) -> None:
        self.sandbox.block_vat_code(division, code, blocked)

    def close_period(self, division: int, year: int, period: int, closed: bool = True) -> None:
        self.sandbox.close_period(division, year, period, closed)

    def deliver_webhooks(self, sender: Sender | None = None) -> list[Sent]:
        """Send every pending webhook delivery now, through ``sender`` (default: the
        outbox's, an HTTP POST); returns what was sent, duplicates included."""
        return self.sandbox.webhooks.deliver(sender)

    def pending_webhooks(self) -> list[dict[str, Any]]:
        return [_delivery_json(d) for d in list(self.sandbox.webhooks.pending)]

    def set_webhook_secret(self, client_id: str, secret: str) -> None:
        """Set an app's webhook secret (App Center); KeyError for an unknown app."""
        self.sandbox.apps[client_id].webhook_secret = secret

    def calls(self, by: str = "endpoint", since: datetime | None = None) -> dict[str, int]:
        """API calls counted per endpoint, division, minute (``YYYY-MM-DDTHH:MM``) or method."""
        if by not in CALL_GROUPINGS:
            raise ValueError(f"by must be one of {', '.join(CALL_GROUPINGS)}")
        keys: Callable[[Any], str] = {
            "endpoint": lambda r: r.endpoint,
            "division": lambda r: str(r.division),
            "minute": lambda r: r.instant.strftime("%Y-%m-%dT%H:%M"),
            "method": lambda r: f"{r.method} {r.endpoint}",
        }[by]
        records = [r for r in list(self.sandbox.call_log) if since is None or r.instant >= since]
        return dict(sorted(Counter(keys(r) for r in records).items()))

    def update_settings(self, **values: Any) -> dict[str, Any]:
        """Change SandboxSettings fields; ValueError for unknown names or wrong types."""
        settings = self.sandbox.settings
        for name, value in values.items():
            current = getattr(settings, name, None)
            if current is None and name not in dataclasses.asdict(settings):
                raise ValueError(f"unknown setting {name!r}")
            if current is not None and type(value) is not type(current):
                raise ValueError(f"{name} must be a {type(current).__name__}")
            setattr(settings, name, value)
        return dataclasses.asdict(settings)

    def _fake_clock(self) -> Any:
        clock = self.sandbox.clock
        if not hasattr(clock, "advance"):
            raise ValueError("this sandbox runs on the real clock; start it with a FakeClock")
        return clock


Handler = Callable[[SandboxControl, Request, dict[str, Any]], Any]


def control_routes(sandbox: Sandbox) -> list[BaseRoute]:
    """The ``/_sandbox/…`` routes bound to ``sandbox``."""
    control = SandboxControl(sandbox)
    table: list[tuple[str, str, Handler]] = [
        ("/_sandbox/state", "GET", lambda c, r, b: c.state()),
        ("/_sandbox/reset", "POST", _reset),
        ("/_sandbox/seed", "POST", _seed),
        ("/_sandbox/clock", "GET", lambda c, r, b: {"now": c.sandbox.clock.now().isoformat()}),
        ("/_sandbox/clock", "POST", _clock),
        ("/_sandbox/faults", "GET", lambda c, r, b: [f.as_json() for f in c.fault_rules()]),
        ("/_sandbox/faults", "POST", lambda c, r, b: c.add_fault(**b).as_json()),
        ("/_sandbox/faults", "DELETE", _clear_faults),
        ("/_sandbox/faults/{rule_id:int}", "DELETE", _remove_fault),
        ("/_sandbox/tokens/revoke", "POST", lambda c, r, b: {"revoked": c.revoke_tokens(**b)}),
        ("/_sandbox/users/{username}", "POST", _user),
        ("/_sandbox/divisions/{division:int}/gl-accounts/{code}", "POST", _gl_account),
        ("/_sandbox/divisions/{division:int}/vat-codes/{code}", "POST", _vat_code),
        ("/_sandbox/divisions/{division:int}/periods/{year:int}/{period:int}", "POST", _period),
        ("/_sandbox/calls", "GET", lambda c, r, b: c.calls(r.query_params.get("by", "endpoint"))),
        ("/_sandbox/settings", "GET", lambda c, r, b: dataclasses.asdict(c.sandbox.settings)),
        ("/_sandbox/settings", "POST", lambda c, r, b: c.update_settings(**b)),
        ("/_sandbox/webhooks", "GET", lambda c, r, b: c.pending_webhooks()),
        ("/_sandbox/webhooks/deliver", "POST", _deliver),
        ("/_sandbox/apps/{client_id}/webhook-secret", "POST", _webhook_secret),
    ]
    return [Route(path, _endpoint(control, handler), methods=[m]) for path, m, handler in table]


def _endpoint(
    control: SandboxControl, handler: Handler
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            raw = await request.body()
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise ValueError("the request body must be a JSON object")
            return JSONResponse(handler(control, request, body))
        except KeyError as missing:
            return JSONResponse({"detail": f"not found: {missing}"}, 404)
        except (ValueError, TypeError) as bad:
            return JSONResponse({"detail": str(bad)}, 400)

    return endpoint


def _reset(control: SandboxControl, request: Request, body: dict[str, Any]) -> Any:
    control.reset(body.get("seed", "demo"))
    return {"reset": True, "seed": body.get("seed", "demo")}


def _seed(control: SandboxControl, request: Request, body: dict[str, Any]) -> Any:
    control.seed(**body)
    return {"seeded": body}


def _clear_faults(control: SandboxControl, request: Request, body: dict[str, Any]) -> Any:
    control.sandbox.faults.clear()
    return {"cleared": True}


def _clock(control: SandboxControl, request: Request, body: dict[str, Any]) -> Any:
    if "set" in body:
        instant = datetime.fromisoformat(str(body["set"]))
        now = control.set_clock(instant if instant.tzinfo else instant.replace(tzinfo=UTC))
    else:
        now = control.advance(float(body.get("advance", 0)))
    return {"now": now.isoformat()}


def _remove_fault(control: SandboxControl, request: Request, body: dict[str, Any]) -> Any:
    rule_id = request.path_params["rule_id"]
    if not control.sandbox.faults.remove(rule_id):
        raise KeyError(f"fault {rule_id}")
    return {"removed": rule_id}


def _user(control: SandboxControl, request: Request, body: dict[str, Any]) -> Any:
    user = control.set_user(request.path_params["username"], **body)
    return _user_json(user)


def _gl_account(control: SandboxControl, request: Request, body: dict[str, Any]) -> Any:
    p = request.path_params
    control.block_gl_account(p["division"], p["code"], bool(body.get("blocked", True)))
    return {"code": p["code"], "blocked": bool(body.get("blocked", True))}


def _vat_code(control: SandboxControl, request: Request, body: dict[str, Any]) -> Any:
    p = request.path_params
    control.block_vat_code(p["division"], p["code"], bool(body.get("blocked", True)))
    return {"code": p["code"], "blocked": bool(body.get("blocked", True))}


def _period(control: SandboxControl, request: Request, body: dict[str, Any]) -> Any:
    p = request.path_params
    closed = bool(body.get("closed", True))
    control.close_period(p["division"], p["year"], p["period"], closed)
    return {"year": p["year"], "period": p["period"], "closed": closed}


def _deliver(control: SandboxControl, request: Request, body: dict[str, Any]) -> Any:
    sent = control.deliver_webhooks()
    return {"delivered": [{**_delivery_json(s.delivery), "status": s.status} for s in sent]}


def _webhook_secret(control: SandboxControl, request: Request, body: dict[str, Any]) -> Any:
    client_id = request.path_params["client_id"]
    secret = body.get("secret")
    if not isinstance(secret, str):
        raise ValueError("secret must be a string")
    control.set_webhook_secret(client_id, secret)
    return {"client_id": client_id}


def _delivery_json(delivery: Delivery) -> dict[str, Any]:
    return {
        "url": delivery.url,
        "topic": delivery.topic,
        "action": delivery.action,
        "key": delivery.key,
        "division": delivery.division,
        "event_at": delivery.event_at.isoformat(),
    }


def _user_json(user: SandboxUser) -> dict[str, Any]:
    return {
        "user_id": user.user_id,
        "username": user.username,
        "full_name": user.full_name,
        "language": user.language,
        "divisions": list(user.divisions),
        "active": user.active,
        "blocked": user.blocked,
        "signed_out": user.signed_out,
    }
