from app.errors import Conflict, DomainError, PermissionDenied


class EmailTaken(Conflict):
    code = "email_taken"


class InvalidCredentials(DomainError):
    status = 401
    code = "invalid_credentials"


class LoginThrottled(DomainError):
    status = 429
    code = "login_throttled"


class AccountSuspended(PermissionDenied):
    code = "account_suspended"


class EmailUnconfirmed(PermissionDenied):
    code = "email_unconfirmed"
