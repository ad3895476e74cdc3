"""Hostile numbers at every numeric input: each is refused with a 4xx, fast.

Finding: amount parsing turned the typed text into a Decimal and multiplied *before* any size
check, so one anonymous catalog request with ``price_min=1e150000`` held a worker for seconds
(and ``1e999999`` answered 500 with decimal.Overflow); ``int()`` of a 5,000-digit ``limit``
raised ValueError (500). Every typed number is now read by ``app.money.parse_decimal`` /
``parse_int`` (through ``app.forms.DecimalField``/``IntegerField`` in forms), which check the
text's length and grammar first.

The inputs are found, not listed: form fields from every FlaskForm subclass in ``app``,
HTML routes from the URL map, API parameters and body properties from the OpenAPI document.
"""

from __future__ import annotations

import gc
import importlib
import json
import pkgutil
import time
from typing import Any

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import DecimalField, FloatField, IntegerField
from wtforms.fields.core import Field

import app as app_package
from app.api.openapi import build_spec
from app.money import MAX_NUMBER_LENGTH, NumberError, parse_decimal, parse_int, parse_major
from tests.factories import login

# Each would cost seconds of CPU, raise a non-ValueError, or overflow a column.
HOSTILE = [
    "1e150000",
    "1e999990",
    "1e999999",
    "-1e150000",
    "9" * 5000,
    "1" + "0" * 30,
    "NaN",
    "-Infinity",
    "1_000",
    "0x10",
    "²",
    "١٢٣",
    "1.5e3",
    " 1 2 ",
]
# CPU seconds per request (process time, so a busy machine does not make it flaky); the old
# code spent 1-25 s on one amount.
BUDGET_SECONDS = 1.0


def _all_form_classes() -> list[type[FlaskForm]]:
    # Forms live in forms and views modules (importing everything would run side effects
    # such as gunicorn_conf's environment set-up).
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        leaf = module.name.rsplit(".", 1)[-1]
        if ".devtools" not in module.name and ("form" in leaf or "view" in leaf):
            importlib.import_module(module.name)
    seen: list[type[FlaskForm]] = []
    stack = list(FlaskForm.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls not in seen and cls.__module__.startswith("app."):
            seen.append(cls)
        stack.extend(cls.__subclasses__())
    return seen


def _leaves(form: Any) -> list[Field]:
    out = []
    for field in form:
        if hasattr(field, "entries"):  # FieldList
            for entry in field.entries:
                out += _leaves(entry.form) if hasattr(entry, "form") else [entry]
        elif (
            hasattr(field, "form")
            and isinstance(getattr(field, "form", None), object)
            and (field.type == "FormField")
        ):
            out += _leaves(field.form)
        else:
            out.append(field)
    return out


def _is_numeric(field: Field) -> bool:
    """Number fields, and text fields read as amounts (validators calling parse_major)."""
    if isinstance(field, DecimalField | IntegerField | FloatField):
        return True
    if (field.render_kw or {}).get("inputmode") == "decimal":  # "numeric": card digits
        return True
    return any(
        "parse_major" in getattr(getattr(v, "__code__", None), "co_names", ())
        for v in field.validators
    )


def _cpu_seconds(call: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """``call(*args, **kwargs)``'s result and the CPU seconds it took, with the garbage
    collector paused: a full collection of a long-lived test worker's heap (1-2 s late in a
    suite) lands on whichever request happens to allocate, and is not what a hostile number
    costs."""
    gc.disable()
    try:
        started = time.process_time()
        result = call(*args, **kwargs)
        return result, time.process_time() - started
    finally:
        gc.enable()


def _numeric_fields(app: Flask) -> dict[type[FlaskForm], list[str]]:
    found: dict[type[FlaskForm], list[str]] = {}
    with app.test_request_context("/", method="POST"):
        for cls in _all_form_classes():
            try:
                form = cls(formdata=MultiDict())
            except TypeError:
                continue  # needs constructor arguments: covered through its URL below
            names = [f.name for f in _leaves(form) if _is_numeric(f)]
            if names:
                found[cls] = names
    return found


def test_parsers_check_the_text_before_any_arithmetic():
    for value in HOSTILE:
        started = time.process_time()
        with pytest.raises(NumberError):
            parse_major(value)
        with pytest.raises(NumberError):
            parse_int(value)
        assert time.process_time() - started < 0.05, value
    assert parse_major("1,250.50") == 125_050
    assert parse_decimal("0.25", places=2) * 100 == 25
    assert parse_int(" 42 ", low=1, high=100) == 42
    with pytest.raises(NumberError):
        parse_decimal("1" * (MAX_NUMBER_LENGTH + 1))


def test_every_numeric_form_field_refuses_hostile_numbers_fast(app):
    fields = _numeric_fields(app)
    # The forms that take amounts, prices, prizes, rates and counts are all found.
    names = {name.split("-")[-1] for names in fields.values() for name in names}
    assert {"price", "prize", "amount", "hourly_rate", "price_min", "delivery_days"} <= names
    for cls, numeric in fields.items():
        for name in numeric:
            for value in HOSTILE:
                with app.test_request_context("/", method="POST", data={name: value}):
                    form = cls()
                    _, elapsed = _cpu_seconds(form.validate)
                    field = next(f for f in _leaves(form) if f.name == name)
                    assert elapsed < BUDGET_SECONDS, (cls.__name__, name, value, elapsed)
                    assert field.errors, (cls.__name__, name, value)


def _rule_url(rule: Any, ids: dict[str, list[int]]) -> str | None:
    values = {}
    for arg in rule.arguments:
        if arg in ids:
            values[arg] = ids[arg][0]
        elif arg in ("token", "filename", "path", "kind", "tier", "key", "variant"):
            return None  # routes keyed by strings are not number inputs
        else:
            values[arg] = 1
    return rule.rule if not values else _build(rule, values)


def _build(rule: Any, values: dict[str, Any]) -> str | None:
    try:
        return rule.build(values, append_unknown=False)[1]
    except Exception:  # noqa: BLE001 - a converter refusing our value: not a number route
        return None


@pytest.mark.slow
@pytest.mark.parametrize(
    "value", ["1e999990", "9" * 5000, "²", "NaN"], ids=["exp", "long", "sup", "nan"]
)
def test_every_html_route_answers_hostile_numbers_without_error_fast(
    app, client, session, gateway, value
):
    """Every GET and POST route of the URL map, signed in as a business and as a creator,
    with every numeric form field name (and limit/page) set to each hostile value (one test per
    value, so the workers share them: tests/conftest.py SPLIT_MODULES)."""
    from tests.fuzz.test_api_fuzz import build_world

    world = build_world(session, gateway)
    users = world["users"]
    names = sorted(
        {n for ns in _numeric_fields(app).values() for n in ns} | {"limit", "page", "per_page"}
    )
    rules = [
        r
        for r in app.url_map.iter_rules()
        if not r.rule.startswith(("/api/", "/static", "/stripe/", "/media/file"))
        and r.endpoint not in {"accounts.logout", "static"}
    ]
    slow, errors = [], []
    for user in (users["business"], users["creator"]):
        client.cookie_jar.clear() if hasattr(client, "cookie_jar") else None
        login(client, user)
        data = {name: value for name in names}
        for rule in rules:
            url = _rule_url(rule, world["ids"])
            if url is None:
                continue
            for method in ("GET", "POST") if "POST" in rule.methods else ("GET",):
                if method == "GET" and "GET" not in rule.methods:
                    continue
                if method == "GET":
                    response, elapsed = _cpu_seconds(client.get, url, query_string=data)
                else:
                    response, elapsed = _cpu_seconds(client.post, url, data=data)
                if response.status_code >= 500:
                    errors.append((method, url, value[:12], response.status_code))
                if elapsed > BUDGET_SECONDS:
                    # Over budget only if the hostile number is what costs: the same request
                    # with a plain number (``/metrics`` renders every series the run collected).
                    plain = {name: "1" for name in data}
                    if method == "GET":
                        _, baseline = _cpu_seconds(client.get, url, query_string=plain)
                    else:
                        _, baseline = _cpu_seconds(client.post, url, data=plain)
                    if elapsed - baseline > BUDGET_SECONDS:
                        slow.append((method, url, value[:12], round(elapsed - baseline, 2)))
        client.post("/logout")
    assert not errors, "\n".join(map(str, errors))
    assert not slow, "\n".join(map(str, slow))


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _numeric_properties(spec: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> list[str]:
    schema = _resolve(spec, schema)
    names = []
    for name, prop in (schema.get("properties") or {}).items():
        prop = _resolve(spec, prop)
        kinds = prop.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if "integer" in kinds or "number" in kinds:
            names.append(name)
    return names


def _api_inputs() -> list[tuple[str, str, str, str]]:
    """(method, path, where, name) for every numeric parameter and body property."""
    spec = build_spec()
    out = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for param in op.get("parameters", []):
                schema = _resolve(spec, param.get("schema", {}))
                kinds = schema.get("type")
                kinds = kinds if isinstance(kinds, list) else [kinds]
                if "integer" in kinds or "number" in kinds:
                    out.append((method.upper(), path, param["in"], param["name"]))
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json")
            if body:
                for name in _numeric_properties(spec, body["schema"]):
                    out.append((method.upper(), path, "body", name))
    return out


API_INPUTS = _api_inputs()
# Raw JSON number texts for bodies: the parser itself must not be the weak spot either.
HOSTILE_JSON = ["1e999999", "9" * 5000, "1" + "0" * 30, '"1e150000"', "-1e150000", "1.5"]


@pytest.mark.slow
def test_every_api_numeric_input_refuses_hostile_numbers_fast(app, client, session, gateway):
    from tests.fuzz.test_api_fuzz import build_world

    assert len(API_INPUTS) > 20  # found from the OpenAPI document
    world = build_world(session, gateway)
    ids, headers = world["ids"], world["tokens"]["business"]
    failures = []
    for method, path, where, name in API_INPUTS:
        base = {n: (ids.get(n) or [1])[0] for n in _path_names(path)}
        values = HOSTILE_JSON if where == "body" else HOSTILE
        for value in values:
            url, query, body = "/api/v1" + path, {}, None
            if where == "path":
                url = "/api/v1" + path.format(**{**base, name: value})
            else:
                url = "/api/v1" + path.format(**base)
                if where == "query":
                    query = {name: value}
                else:
                    body = "{" + json.dumps(name) + ": " + value + "}"
            response, elapsed = _cpu_seconds(
                client.open,
                url,
                method=method,
                query_string=query,
                data=body,
                headers={**headers, "Content-Type": "application/json"},
            )
            if not 400 <= response.status_code < 500 or elapsed > BUDGET_SECONDS:
                failures.append((method, path, where, name, value[:12], response.status_code))
    print("\n".join(map(str, failures)))
    assert not failures, "\n".join(map(str, failures))


def _path_names(path: str) -> list[str]:
    import re

    return re.findall(r"{(\w+)}", path)
