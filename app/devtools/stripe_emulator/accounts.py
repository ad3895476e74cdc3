"""Connect accounts and account links (onboarding), which localstripe does not have."""

from __future__ import annotations

import html
import secrets
import time
from typing import Any

from aiohttp import web
from localstripe.resources import StripeObject, store

from . import events, state
from .errors import StripeApiError, invalid_param, missing_param, no_such, unknown_params
from .fixtures import fixture
from .params import (
    as_dict,
    as_str,
    body_params,
    list_response,
    merge_metadata,
    query_params,
    stripe_account,
)
from .responses import json_response

ACCOUNT_TYPES = ("express", "custom", "standard")
CAPABILITY_NAMES = (
    "card_payments",
    "transfers",
    "sepa_debit_payments",
    "bancontact_payments",
    "ideal_payments",
    "link_payments",
)
# Default settlement currency per country; anything unlisted in the euro area gets "eur".
_COUNTRY_CURRENCY = {
    "US": "usd",
    "GB": "gbp",
    "CH": "chf",
    "CA": "cad",
    "AU": "aud",
    "JP": "jpy",
    "SE": "sek",
    "DK": "dkk",
    "NO": "nok",
    "PL": "pln",
    "CZ": "czk",
    "HU": "huf",
}
_CURRENTLY_DUE = [
    "business_profile.product_description",
    "business_profile.support_phone",
    "business_profile.url",
    "external_account",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]
# Countries where Stripe lets a platform create connected accounts (docs.stripe.com/connect/
# cross-border-payouts, "supported countries"); anything else is refused like Stripe does.
SUPPORTED_COUNTRIES = frozenset(
    (
        "AE",
        "AT",
        "AU",
        "BE",
        "BG",
        "BR",
        "CA",
        "CH",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GB",
        "GI",
        "GR",
        "HK",
        "HR",
        "HU",
        "IE",
        "IT",
        "JP",
        "LI",
        "LT",
        "LU",
        "LV",
        "MT",
        "MX",
        "MY",
        "NL",
        "NO",
        "NZ",
        "PL",
        "PT",
        "RO",
        "SE",
        "SG",
        "SI",
        "SK",
        "TH",
        "US",
    )
)
LINK_LIFETIME_SECONDS = 300
# Stripe defaults a new account's country to the platform's; ours is set by --default-country.
DEFAULT_COUNTRY = "FR"
_LINK_KEY = "emulator.account_link:"


def _deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = value
    return base


class Account(StripeObject):
    """A connected account. Exported on the official fixture so every key is present."""

    object = "account"
    _id_prefix = "acct_"

    def __init__(
        self,
        account_type: str,
        country: str,
        email: str | None,
        requested_capabilities: list[str],
        metadata: dict[str, str],
        business_type: str | None,
        overrides: dict[str, Any],
    ) -> None:
        super().__init__()
        self.type = account_type
        self.country = country
        self.email = email
        self.default_currency = _COUNTRY_CURRENCY.get(country, "eur")
        self.requested_capabilities = requested_capabilities
        self.metadata = metadata
        self.business_type = business_type
        self.overrides = overrides
        self.onboarded = False
        self.tos_acceptance: dict[str, Any] = {"date": None, "ip": None, "user_agent": None}
        # Set by /_config/accounts/{id}/requirements: what Stripe asks for later.
        self.requirements_due: dict[str, Any] = {}

    @property
    def disabled(self) -> bool:
        return bool(getattr(self, "requirements_due", {}).get("disabled_reason"))

    @property
    def enabled(self) -> bool:
        return self.onboarded and not self.disabled

    def capability_status(self, name: str) -> str:
        return "active" if self.enabled else "inactive"

    def can_receive_transfers(self) -> bool:
        return "transfers" in self.requested_capabilities and self.enabled

    def complete_onboarding(self, ip: str | None, user_agent: str | None) -> None:
        self.onboarded = True
        self.tos_acceptance = {"date": int(time.time()), "ip": ip, "user_agent": user_agent}

    def _export(self, expand: Any = None) -> dict[str, Any]:
        obj = fixture("account")
        _deep_merge(obj, self.overrides)
        requirements = fixture("account")["requirements"]
        if self.onboarded:
            requirements.update(
                currently_due=[], eventually_due=[], past_due=[], disabled_reason=None
            )
        due = getattr(self, "requirements_due", {})
        if due:
            requirements.update(due)
        obj.update(
            id=self.id,
            object="account",
            created=self.created,
            type=self.type,
            country=self.country,
            email=self.email,
            default_currency=self.default_currency,
            business_type=self.business_type,
            metadata=dict(self.metadata),
            capabilities={
                name: self.capability_status(name) for name in self.requested_capabilities
            },
            charges_enabled=self.enabled,
            payouts_enabled=self.enabled,
            details_submitted=self.onboarded,
            requirements=requirements,
            tos_acceptance=dict(self.tos_acceptance),
            controller=_controller(self.type),
        )
        obj["external_accounts"]["url"] = f"/v1/accounts/{self.id}/external_accounts"
        return obj


def _controller(account_type: str) -> dict[str, Any]:
    if account_type == "standard":
        return {"type": "account", "is_controller": False}
    return {
        "type": "application",
        "is_controller": True,
        "requirement_collection": "stripe" if account_type == "express" else "application",
        "stripe_dashboard": {"type": "express" if account_type == "express" else "none"},
    }


def get_account(account_id: str, param: str | None = None) -> Account:
    obj = store.get("account:" + account_id)
    if not isinstance(obj, Account):
        raise no_such("account", account_id, param)
    return obj


def _requested_capabilities(params: dict[str, Any]) -> list[str] | None:
    capabilities = as_dict(params, "capabilities")
    if capabilities is None:
        return None
    requested = []
    for name, spec in capabilities.items():
        if name not in CAPABILITY_NAMES:
            raise invalid_param(f"capabilities[{name}]", f"Invalid capability: {name}")
        if not isinstance(spec, dict) or "requested" not in spec:
            raise missing_param(f"capabilities[{name}][requested]")
        if str(spec["requested"]).lower() == "true":
            requested.append(name)
    return requested


_OVERRIDABLE = ("business_profile", "settings")
_CREATE_PARAMS = {
    "type",
    "country",
    "email",
    "capabilities",
    "metadata",
    "business_type",
    "business_profile",
    "settings",
    "tos_acceptance",
    "controller",
    "individual",
    "company",
    "external_account",
    "default_currency",
    "expand",
}


def _overrides(params: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in _OVERRIDABLE:
        value = as_dict(params, name)
        if value is not None:
            result[name] = value
    return result


async def create_account(request: web.Request) -> web.Response:
    params = await body_params(request)
    unknown_params(params, _CREATE_PARAMS)
    account_type = as_str(params, "type")
    controller = as_dict(params, "controller")
    if account_type is None and controller is not None:
        # The newer `controller` form: a Stripe-hosted dashboard of type express/none.
        dashboard = str((controller.get("stripe_dashboard") or {}).get("type"))
        account_type = {"express": "express", "none": "custom"}.get(dashboard, "standard")
    account_type = account_type or "standard"
    if account_type not in ACCOUNT_TYPES:
        raise invalid_param("type", f"Invalid type: must be one of {', '.join(ACCOUNT_TYPES)}")
    country = (as_str(params, "country") or DEFAULT_COUNTRY).upper()
    if country not in SUPPORTED_COUNTRIES:
        raise invalid_param(
            "country",
            f"Connected accounts cannot be created in {country}: not a country Stripe supports "
            "for this platform.",
            "country_unsupported",
        )
    requested = _requested_capabilities(params)
    if requested is None and account_type != "standard":
        # Like Stripe: an Express or Custom account must say which capabilities it requests.
        raise invalid_param(
            "capabilities",
            f"You must request at least one capability when creating a {account_type} "
            "account (e.g. capabilities[transfers][requested]=true).",
        )
    requested = requested or []
    metadata = merge_metadata({}, as_dict(params, "metadata"))
    business_type = as_str(params, "business_type")
    account = Account(
        account_type,
        country,
        as_str(params, "email"),
        requested,
        metadata,
        business_type,
        _overrides(params),
    )
    return json_response(account._export())


async def retrieve_account(request: web.Request) -> web.Response:
    return json_response(get_account(request.match_info["id"])._export())


async def retrieve_own_account(request: web.Request) -> web.Response:
    """GET /v1/account: the connected account named by Stripe-Account, else the platform."""
    account_id = stripe_account(request)
    if account_id:
        return json_response(get_account(account_id)._export())
    platform = fixture("account")
    platform.update(
        id="acct_emulatorplatform",
        type="standard",
        charges_enabled=True,
        payouts_enabled=True,
        details_submitted=True,
        email="platform@example.test",
        country=DEFAULT_COUNTRY,
        default_currency=_COUNTRY_CURRENCY.get(DEFAULT_COUNTRY, "eur"),
    )
    platform["requirements"].update(currently_due=[], eventually_due=[], disabled_reason=None)
    return json_response(platform)


_UPDATE_PARAMS = _CREATE_PARAMS - {"type", "country", "controller"}


async def update_account(request: web.Request) -> web.Response:
    account = get_account(request.match_info["id"])
    params = await body_params(request)
    unknown_params(params, _UPDATE_PARAMS)
    requested = _requested_capabilities(params)
    if requested is not None:
        merged = set(account.requested_capabilities) | set(requested)
        account.requested_capabilities = sorted(merged)
    if "email" in params:
        account.email = as_str(params, "email") or None
    if "business_type" in params:
        account.business_type = as_str(params, "business_type") or None
    account.metadata = merge_metadata(account.metadata, as_dict(params, "metadata"))
    for name, value in _overrides(params).items():
        account.overrides[name] = _deep_merge(account.overrides.get(name, {}), value)
    exported = account._export()
    events.emit("account.updated", exported, account=account.id)
    store["account:" + account.id] = account  # persist the mutation
    return json_response(exported)


async def delete_account(request: web.Request) -> web.Response:
    account = get_account(request.match_info["id"])
    del store["account:" + account.id]
    return json_response({"id": account.id, "object": "account", "deleted": True})


async def list_accounts(request: web.Request) -> web.Response:
    params = query_params(request)
    accounts = state.objects("account")
    accounts.sort(key=lambda a: a.created, reverse=True)
    return list_response("/v1/accounts", accounts, params)


def complete_onboarding(account: Account, ip: str | None, user_agent: str | None) -> None:
    """Turn the account fully enabled and tell the webhooks, as Stripe does after onboarding."""
    account.complete_onboarding(ip, user_agent)
    store["account:" + account.id] = account
    events.emit("account.updated", account._export(), account=account.id)


async def create_account_link(request: web.Request) -> web.Response:
    params = await body_params(request)
    unknown_params(
        params,
        {"account", "refresh_url", "return_url", "type", "collect", "collection_options", "expand"},
    )
    for name in ("account", "type"):
        if not params.get(name):
            raise missing_param(name)
    link_type = as_str(params, "type")
    if link_type not in ("account_onboarding", "account_update"):
        raise invalid_param("type", f"Invalid type: {link_type}")
    account = get_account(as_str(params, "account") or "", "account")
    refresh_url = as_str(params, "refresh_url")
    return_url = as_str(params, "return_url")
    for name, url in (("refresh_url", refresh_url), ("return_url", return_url)):
        if url is not None and not url.startswith(("http://", "https://")):
            raise invalid_param(name, "Not a valid URL", "url_invalid")
    created = int(time.time())
    token = secrets.token_urlsafe(12)
    store[_LINK_KEY + token] = {
        "account": account.id,
        "refresh_url": refresh_url,
        "return_url": return_url,
        "expires_at": created + LINK_LIFETIME_SECONDS,
        "used": False,
    }
    base = f"{request.scheme}://{request.host}"
    return json_response(
        {
            "object": "account_link",
            "created": created,
            "expires_at": created + LINK_LIFETIME_SECONDS,
            "url": f"{base}/_onboarding/{account.id}/{token}",
        }
    )


def _link_or_redirect(request: web.Request) -> tuple[dict[str, Any], Account]:
    token = request.match_info["token"]
    link = store.get(_LINK_KEY + token)
    if link is None or link["account"] != request.match_info["account"]:
        raise web.HTTPNotFound(text="Unknown onboarding link")
    account = get_account(link["account"])
    # Like Stripe: an expired or already used link sends the user to refresh_url.
    if link["used"] or link["expires_at"] < time.time():
        if link["refresh_url"]:
            raise web.HTTPSeeOther(link["refresh_url"])
        raise web.HTTPGone(text="This onboarding link has expired or was already used")
    return link, account


_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Stripe emulator onboarding</title></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 3em auto">
<h1>Onboarding (local Stripe emulator)</h1>
<p>Account <code>{account}</code> ({email}). Nothing is collected: submitting marks the account
as fully onboarded (charges, payouts and transfers enabled) and sends <code>account.updated</code>.
</p>
<form method="post"><button type="submit">Complete onboarding</button></form>
<p><a href="{refresh}">Leave without completing</a></p>
</body></html>
"""


async def onboarding_page(request: web.Request) -> web.Response:
    link, account = _link_or_redirect(request)
    return web.Response(
        text=_PAGE.format(
            account=html.escape(account.id),
            email=html.escape(account.email or "no email"),
            refresh=html.escape(link["refresh_url"] or "#"),
        ),
        content_type="text/html",
    )


async def onboarding_submit(request: web.Request) -> web.Response:
    link, account = _link_or_redirect(request)
    link["used"] = True
    store[_LINK_KEY + request.match_info["token"]] = link
    complete_onboarding(account, request.remote, request.headers.get("User-Agent"))
    if link["return_url"]:
        raise web.HTTPSeeOther(link["return_url"])
    return web.Response(text="Onboarding complete.", content_type="text/plain")


async def config_complete_onboarding(request: web.Request) -> web.Response:
    """Dev/test shortcut: onboard an account without going through a link."""
    account = get_account(request.match_info["id"])
    complete_onboarding(account, request.remote, request.headers.get("User-Agent"))
    return json_response(account._export())


async def config_requirements(request: web.Request) -> web.Response:
    """Dev/test: Stripe asks for more (``currently_due``, ``past_due``, ``eventually_due``,
    ``disabled_reason``: a set reason disables the account's capabilities and payouts).
    Sends account.updated. An empty body clears it."""
    account = get_account(request.match_info["id"])
    params = await body_params(request)
    due: dict[str, Any] = {}
    for name in ("currently_due", "past_due", "eventually_due"):
        value = params.get(name)
        if value is not None:
            if not isinstance(value, list):
                raise invalid_param(name, f"{name} must be a list")
            due[name] = [str(v) for v in value]
    if params.get("disabled_reason"):
        due["disabled_reason"] = as_str(params, "disabled_reason")
    account.requirements_due = due
    store["account:" + account.id] = account
    exported = account._export()
    events.emit("account.updated", exported, account=account.id)
    return json_response(exported)


async def create_login_link(request: web.Request) -> web.Response:
    """POST /v1/accounts/{id}/login_links: a single-use link to the Express dashboard."""
    account = get_account(request.match_info["id"])
    params = await body_params(request)
    unknown_params(params, {"expand"})
    if account.type != "express":
        raise invalid_param(
            "account", "Login links can only be created for Express accounts.", "account_invalid"
        )
    if not account.onboarded:
        raise invalid_param(
            "account",
            "Cannot create a login link for an account that has not completed onboarding.",
            "account_invalid",
        )
    base = f"{request.scheme}://{request.host}"
    return json_response(
        {
            "object": "login_link",
            "created": int(time.time()),
            "url": f"{base}/_express/{account.id}/{secrets.token_urlsafe(12)}",
        }
    )


async def express_dashboard(request: web.Request) -> web.Response:
    account = get_account(request.match_info["account"])
    return web.Response(
        text=f"<!doctype html><title>Express dashboard</title><h1>Express dashboard</h1>"
        f"<p>Account <code>{html.escape(account.id)}</code> (local Stripe emulator).</p>",
        content_type="text/html",
    )


async def list_country_specs(request: web.Request) -> web.Response:
    """GET /v1/country_specs: the countries connected accounts can be created in."""
    data = [
        {
            "id": code,
            "object": "country_spec",
            "default_currency": _COUNTRY_CURRENCY.get(code, "eur"),
        }
        for code in sorted(SUPPORTED_COUNTRIES)
    ]
    return json_response(
        {"object": "list", "url": "/v1/country_specs", "has_more": False, "data": data}
    )


def require_account_header(request: web.Request) -> Account | None:
    """The connected account named by Stripe-Account, refused like Stripe when unknown."""
    account_id = stripe_account(request)
    if account_id is None:
        return None
    obj = store.get("account:" + account_id)
    if not isinstance(obj, Account):
        raise StripeApiError(
            403,
            "The provided key does not have access to account "
            f"'{account_id}' (or that account does not exist).",
            code="account_invalid",
        )
    return obj


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/v1/accounts", create_account)
    router.add_get("/v1/accounts", list_accounts)
    router.add_get("/v1/accounts/{id}", retrieve_account)
    router.add_post("/v1/accounts/{id}", update_account)
    router.add_delete("/v1/accounts/{id}", delete_account)
    router.add_get("/v1/account", retrieve_own_account)
    router.add_post("/v1/account_links", create_account_link)
    router.add_get("/_onboarding/{account}/{token}", onboarding_page)
    router.add_post("/_onboarding/{account}/{token}", onboarding_submit)
    router.add_post("/_config/accounts/{id}/complete_onboarding", config_complete_onboarding)
    router.add_post("/_config/accounts/{id}/requirements", config_requirements)
    router.add_post("/v1/accounts/{id}/login_links", create_login_link)
    router.add_get("/v1/country_specs", list_country_specs)
    router.add_get("/_express/{account}/{token}", express_dashboard)
