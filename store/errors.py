"""Domain errors: each carries a plain-Chinese message a user can read, a machine code
for the API, and the HTTP status the API answers with. A refusal that lifts by itself
later (the urge cool-down) says when in `retry_at`, so no caller works it out again."""
from datetime import datetime


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, detail=None, *, code: str | None = None,
                 retry_at: datetime | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.retry_at = retry_at
        if code:
            self.code = code

    def __str__(self) -> str:
        return self.message


class Invalid(DomainError):
    """The input is malformed or names something that cannot be used."""
    status = 422
    code = "invalid"


class NotFound(DomainError):
    """The thing does not exist, or the actor may not see it (never say which)."""
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The actor is known but their role does not allow the operation."""
    status = 403
    code = "forbidden"


class Refused(DomainError):
    """A workflow or business rule forbids the action in the current state."""
    status = 409
    code = "refused"


class Conflict(DomainError):
    """Someone else changed the record first; the caller should look again."""
    status = 409
    code = "conflict"
