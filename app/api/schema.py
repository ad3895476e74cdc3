"""One declaration per API operation: pydantic models validate input, shape output and,
through spectree, generate the OpenAPI 3.1 document served at /api/v1/openapi.json.

A view declares itself once::

    @bp.post("/offers/<int:offer_id>/negotiations")
    @operation(tag="negotiations", body=TermsIn, created=NegotiationOut, role=Role.BUSINESS,
               problems={403: "...", 404: "...", 409: "..."})
    def propose_price(offer_id: int, body: TermsIn) -> ...

and gets, in this order: the token check (401/403, as before any input is read), the body
check (415 not JSON, 400 not an object), schema validation (422 with ``errors`` mapping each
dotted field path to messages), the view, and validation of what the view returns against the
declared response model. Nothing about the operation is written anywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from functools import wraps
from typing import Annotated, Any, TypeVar, Union, get_args

from flask import request
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    Strict,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic import ValidationError as PydanticError
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from app.accounts.models import Role
from app.db import MAX_ID
from app.errors import DomainError, ValidationFailed
from app.forms import storable
from app.money import MAX_AMOUNT_MINOR, MAX_NUMBER_LENGTH, NumberError, parse_int

PREFIX = "/api/v1"
MAX_PAGE = 10_000  # deeper offsets overflow SQLite and help nobody; narrow the filters
F = TypeVar("F", bound=Callable[..., Any])

# --- value types shared by every schema (and by the web forms' rules) -----------------------


def _storable(text: str) -> str:
    if not storable(text):
        raise ValueError("Contains characters that cannot be stored.")
    return text


Int = Annotated[int, Strict()]  # JSON 5000.0, "5000" and true are not integers
Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
Minor = Annotated[int, Strict(), Field(ge=1, le=MAX_AMOUNT_MINOR)]
Days = Annotated[int, Strict(), Field(ge=1, le=365)]
Storable = AfterValidator(_storable)
Text = Annotated[str, Strict(), Storable]  # use as Annotated[Text, Field(max_length=...)]


def _iso_day(value: Any) -> Any:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("Must be a date such as 2030-01-31.")
    return value


Day = Annotated[date, BeforeValidator(_iso_day)]  # "YYYY-MM-DD" only, never a number


def _iso_moment(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("Must be an ISO 8601 date-time with a timezone.")
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_iso_moment)]  # a string with a timezone


def _public_name(name: str) -> str:
    """``MilestoneOut`` is ``Milestone`` to integrators (the suffix only avoids the ORM name)."""
    return name.removesuffix("Out") or name


def _title(model: type) -> str:
    return _public_name(model.__name__)


class In(BaseModel):
    """A request body or query: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", model_title_generator=_title)


class NoFields(In):
    """An optional empty JSON object: the operation takes no parameters (a payment's card
    details go to Stripe.js, never to this API; any field is refused)."""


class Out(BaseModel):
    """A response body."""

    model_config = ConfigDict(from_attributes=True, model_title_generator=_title)


class Query(In):
    """Query parameters: an empty value (``?kind=``) means the parameter was left out."""

    @model_validator(mode="before")
    @classmethod
    def _drop_empty(cls, values: Any) -> Any:
        if isinstance(values, dict):
            return {key: value for key, value in values.items() if value != ""}
        return values

    @field_validator("*", mode="before")
    @classmethod
    def _whole_numbers_are_digits(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic's lax int parsing takes "1_000" and " 12 "; a typed whole number is digits
        # only, its length bounded before int() sees it (app.money.parse_int, as for forms).
        field = cls.model_fields.get(info.field_name or "")
        if isinstance(value, str) and field is not None and _takes_int(field.annotation):
            try:  # the field's own bounds (ge/le) judge the range, as for a JSON number
                return parse_int(value, low=-_HUGE, high=_HUGE)
            except NumberError as exc:
                raise ValueError(str(exc)) from exc
        return value


_HUGE = 10**MAX_NUMBER_LENGTH  # any typed digits: the length check is parse_int's


def _takes_int(annotation: Any) -> bool:
    return annotation is int or any(_takes_int(arg) for arg in get_args(annotation))


class Paged(Query):
    """Pagination of a list: ``page`` from 1, ``per_page`` items (400 outside the bounds)."""

    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    per_page: int | None = Field(
        None, ge=1, le=100, description="Items per page, 1 to 100 (default 20)."
    )

    @property
    def size(self) -> int:
        return self.per_page or 20

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


class PageInfo(Out):
    total: int = Field(description="Items in all pages.")
    page: int
    per_page: int


class Problem(BaseModel):
    """RFC 9457 problem details; ``errors`` maps each field (dotted path) to its messages."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    code: str | None = None
    errors: dict[str, list[str]] | None = None


# --- pydantic errors -> the API's field errors ----------------------------------------------

MESSAGES = {
    "missing": "This field is required.",
    "extra_forbidden": "Unknown field.",
    "int_type": "Must be a whole number (an integer; money is in minor units).",
    "int_parsing": "Must be a whole number.",
    "int_from_float": "Must be a whole number.",
    "string_type": "Must be a string.",
    "list_type": "Must be a list.",
    "model_type": "Must be a JSON object.",
    "model_attributes_type": "Must be a JSON object.",
    "dict_type": "Must be a JSON object.",
    "bool_type": "Must be true or false.",
    "union_tag_not_found": "This field is required.",
}
PAGING = ("page", "per_page")
ROW_ERRORS = {"model_type", "model_attributes_type", "dict_type"}


UNION_TAGS: set[str] = set()  # the tags of one_of() unions; pydantic puts them first in locs


def one_of(name: str, discriminator: str, *models: type[BaseModel]) -> type[RootModel[Any]]:
    """A body that is one of ``models``, told apart by the field ``discriminator``."""
    for model in models:
        UNION_TAGS.update(get_args(model.model_fields[discriminator].annotation))
    union = Annotated[Union[models], Field(discriminator=discriminator)]  # type: ignore[valid-type]  # noqa: UP007
    return type(name, (RootModel[union],), {"__doc__": f"One of: {discriminator} tells which."})


def field_errors(error: PydanticError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for item in error.errors(include_url=False):
        loc = [str(part) for part in item["loc"] if not str(part).startswith("function-")]
        if len(loc) > 1 and loc[0] in UNION_TAGS:
            loc = loc[1:]
        if len(loc) > 1 and loc[-1].isdigit() and item["type"] not in ROW_ERRORS:
            loc = loc[:-1]  # a bad item of a list of strings is reported on the list
        if item["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = [str(item["ctx"]["discriminator"]).strip("'")]
        key = ".".join(loc) or "_"
        message = MESSAGES.get(item["type"]) or item["msg"].removeprefix("Value error, ")
        errors.setdefault(key, [])
        if message not in errors[key]:
            errors[key].append(message)
    return errors


def _before(req: Any, resp: Any, error: Exception | None, instance: Any, adapter: Any) -> None:
    """spectree calls this after validating the request: turn its error into ours."""
    if error is None:
        return
    assert isinstance(error, PydanticError)
    errors = field_errors(error)
    if errors and set(errors) <= set(PAGING):
        # Pagination answers as it always has: 422 only past the deepest page, else 400.
        kinds = {(str(e["loc"][0]), e["type"]) for e in error.errors(include_url=False)}
        if kinds == {("page", "less_than_equal")}:
            raise ValidationFailed({"page": [f"Use a page from 1 to {MAX_PAGE}."]})
        raise DomainError("page must be ≥ 1 and per_page between 1 and 100.")
    if set(errors) == {"limit"}:  # result-size limits too answer 400, as they always have
        raise DomainError(f"limit: {errors['limit'][0]}", field="limit")
    raise ValidationFailed(errors)


spec = SpecTree(
    "flask",
    mode="strict",
    annotations=False,
    title="C2B Marketplace API",
    version="1.0.0",
    description=(
        "JSON in, JSON out. Errors are application/problem+json (RFC 9457); a 422 maps each "
        "field (a dotted path such as `packages.0.price_minor`) to its messages. Money is in "
        "integer minor units. Authenticate with a personal API token from Settings → API "
        "tokens: `Authorization: Bearer c2b_...` (creating accounts and tokens is web-only)."
    ),
    before=_before,
    # Plain class names: they are what the generated client's types are called.
    naming_strategy=lambda model: _public_name(model.__name__),
    nested_naming_strategy=lambda _parent, child: _public_name(child),
    security_schemes=[
        SecurityScheme(
            name="bearerAuth",
            data=SecuritySchemeData(
                type=SecureType.HTTP,
                scheme="bearer",
                bearer_format="c2b_...",
                description="A personal API token (Settings → API tokens on the website).",
            ),
        )
    ],
    security={"bearerAuth": []},
)

# --- the declaration ------------------------------------------------------------------------

COMMON = {
    400: "Malformed request",
    401: "Missing, invalid or revoked API token",
    403: "The caller may not do this",
    404: "No such object, or the caller may not see it",
    409: "Not possible in the object's current state",
    415: "The body is not application/json",
    422: "Invalid input; `errors` maps each field to its messages",
}
AUTH_PUBLIC, AUTH_REQUIRED = "public", "required"
OPTIONAL_BODIES: set[str] = set()  # operation ids whose body may be left out
LINKS: dict[str, dict[str, str]] = {}  # operation id -> {linked operation id: path parameter}


def operation(
    *,
    tag: str,
    ok: type[BaseModel] | None = None,
    created: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    body_optional: bool = False,
    query: type[BaseModel] | None = None,
    role: Role | str = AUTH_REQUIRED,
    problems: Mapping[int, str] | None = None,
    summary: str | None = None,
    links: Mapping[str, str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an API operation (see the module docstring). ``role``: a Role the token's user
    must hold, ``"required"`` (any token) or ``"public"`` (a token is optional). ``links``:
    operation id -> its path parameter filled from this answer's ``id`` (OpenAPI links, so
    clients and the stateful fuzzer can go create -> read -> update)."""
    described = dict(problems or {})
    described.setdefault(401, COMMON[401])  # a bad token is refused even where none is needed
    if isinstance(role, Role):
        described.setdefault(403, f"This endpoint is for {role.value} accounts")
    if body is not None:
        for status in (400, 415, 422):
            described.setdefault(status, COMMON[status])
    if query is not None:
        described.setdefault(422, COMMON[422])
        if issubclass(query, Paged):
            described.setdefault(400, "page or per_page out of bounds")
    codes: dict[str, Any] = {
        f"HTTP_{status}": (Problem, text_) for status, text_ in described.items()
    }
    if created is not None:
        codes["HTTP_201"] = created
    else:
        codes["HTTP_200"] = ok

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def call(*args: Any, **kwargs: Any) -> Any:
            context = request.context  # type: ignore[attr-defined]
            if body is not None:
                kwargs["body"] = context.json
            if query is not None:
                kwargs["query"] = context.query
            result = view(*args, **kwargs)
            if isinstance(result, BaseModel):
                return result.model_dump(mode="json")
            if isinstance(result, tuple) and isinstance(result[0], BaseModel):
                return (result[0].model_dump(mode="json"), *result[1:])
            return result

        if summary:
            call.__doc__ = summary
        if body_optional:
            OPTIONAL_BODIES.add(view.__name__)
        if links:
            LINKS[view.__name__] = dict(links)
        validated = spec.validate(
            json=body,
            query=query,
            resp=Response(**codes),
            tags=[tag],
            operation_id=view.__name__,
            security=[{}, {"bearerAuth": []}] if role == AUTH_PUBLIC else None,
            skip_validation=False,
        )(call)

        @wraps(validated)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            from app.api import api_user, json_body

            if role != AUTH_PUBLIC:
                api_user(role if isinstance(role, Role) else None)
            if body is not None and (not body_optional or request.get_data(cache=True)):
                json_body()
            return validated(*args, **kwargs)

        return guarded

    return decorate


GATEWAY_PROBLEM = {502: "The payment provider refused the request or could not be reached"}


def payment_operation(
    *, tag: str, ok: type[BaseModel], problems: Mapping[int, str]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an operation where a business starts (or resumes) paying: no body needed, the
    answer carries what Stripe.js confirms, the payment provider's refusal is a 502."""
    return operation(
        tag=tag,
        body=NoFields,
        body_optional=True,
        ok=ok,
        role=Role.BUSINESS,
        problems={**problems, **GATEWAY_PROBLEM},
    )
