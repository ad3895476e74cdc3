"""Stripe-shaped API errors.

Every error derives from localstripe's ``UserError`` so that localstripe's own error middleware
turns it into a JSON response; the body follows Stripe's ``{"error": {...}}`` envelope so the
official SDK maps it onto the right exception class (InvalidRequestError, IdempotencyError...).
"""

from __future__ import annotations

from typing import Any

from localstripe.errors import UserError


class StripeApiError(UserError):
    """An error answered with Stripe's error envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        contents: dict[str, Any] = {"message": message}
        if code is not None:
            contents["code"] = code
            contents["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param is not None:
            contents["param"] = param
        super().__init__(status, message, contents)
        # UserError forces the type; Stripe uses others (api_error, idempotency_error...).
        self.body["error"]["type"] = type
        self.status = status
        self.headers = headers or {}

    def to_response(self) -> Any:
        response = super().to_response()
        for name, value in self.headers.items():
            response.headers[name] = value
        return response


class InjectedFailureError(StripeApiError):
    """A failure forced through /_config: raised before the endpoint executes anything."""


def missing_param(param: str) -> StripeApiError:
    return StripeApiError(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def invalid_param(param: str, message: str, code: str = "parameter_invalid") -> StripeApiError:
    return StripeApiError(400, message, code=code, param=param)


def unknown_params(params: dict[str, Any], allowed: set[str]) -> None:
    """Reject parameters the endpoint does not know, like Stripe does."""
    for name in params:
        if name not in allowed:
            raise StripeApiError(
                400,
                f"Received unknown parameter: {name}",
                code="parameter_unknown",
                param=name,
            )


def no_such(kind: str, object_id: str, param: str | None = None) -> StripeApiError:
    """404 for an object named in the URL (param None or "id"), 400 for one named in a
    body parameter, which is how Stripe answers both."""
    status = 404 if param in (None, "id") else 400
    return StripeApiError(
        status, f"No such {kind}: '{object_id}'", code="resource_missing", param=param
    )
