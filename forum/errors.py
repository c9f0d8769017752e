"""The one error type users see, with a subclass per condition.

Messages are complete sentences that say what went wrong and what to do next. The app's
error handler renders them as an HTML page or JSON; nothing internal is ever shown.
"""


class ForumError(Exception):
    status = 400
    code = "bad_request"
    default_message = "Something about that request was not right. Check it and try again."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class NotFound(ForumError):
    """Raised for missing objects and for objects the member may not see alike, so that
    nobody can probe for hidden content."""

    status = 404
    code = "not_found"
    default_message = "We could not find that page. Check the address, or go back to the home page."


class Forbidden(ForumError):
    status = 403
    code = "forbidden"
    default_message = "You do not have permission to do that."


class SignInRequired(ForumError):
    status = 401
    code = "sign_in_required"
    default_message = "Sign in to do that."


class CsrfFailed(ForumError):
    status = 400
    code = "csrf_failed"
    default_message = "This form has expired or was sent from another site. Go back, reload the page and try again."


class ValidationFailed(ForumError):
    """Raised with one message per invalid field, keyed by the form field's name."""

    status = 422
    code = "validation_failed"
    default_message = "Some of what you entered needs changing."

    def __init__(self, errors: dict[str, str], message: str | None = None) -> None:
        self.errors = errors
        super().__init__(message)


class ThreadLocked(ForumError):
    status = 409
    code = "thread_locked"
    default_message = "This thread is locked. Start a new thread instead."


class Conflict(ForumError):
    """Raised when a request is well formed but the object's current state does not allow it."""

    status = 409
    code = "conflict"
    default_message = "That cannot be done now. Reload the page to see the latest version and try again."


class TooManyRequests(ForumError):
    """Raised when a member or address goes over a rate limit. The response carries
    ``Retry-After`` with ``retry_after`` seconds."""

    status = 429
    code = "too_many_requests"
    default_message = "You have done that too often in a short time. Wait a minute and try again."

    def __init__(self, message: str | None = None, *, retry_after: int = 60) -> None:
        self.retry_after = max(int(retry_after), 1)
        super().__init__(message)


class TransitionRefused(Conflict):
    """Raised when a mentorship or mentoring request cannot make the change asked for now."""

    code = "transition_refused"
    default_message = "That change is not possible now. Reload the page to see the latest state."
