"""JSON:API failures: one table of stable codes, one exception type per failure."""

# code -> (HTTP status, title). Codes are part of the public API: never renumber or reuse one.
ERROR_CODES = {
    "invalid-query-parameter": (400, "Invalid query parameter"),
    "invalid-include": (400, "Invalid include path"),
    "invalid-fields": (400, "Invalid sparse fieldset"),
    "invalid-sort": (400, "Invalid sort field"),
    "invalid-page": (400, "Invalid page value"),
    "invalid-filter": (400, "Invalid filter"),
    "invalid-document": (400, "Invalid request document"),
    "bad-request": (400, "Bad request"),
    "not-authenticated": (401, "Not authenticated"),
    "forbidden": (403, "Forbidden"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "not-acceptable": (406, "Not acceptable"),
    "conflict": (409, "Conflict"),
    "payload-too-large": (413, "Payload too large"),
    "uri-too-long": (414, "URI too long"),
    "unsupported-media-type": (415, "Unsupported media type"),
    "unprocessable": (422, "Unprocessable entity"),
    "emergency": (422, "Possible emergency"),
    "rate-limited": (429, "Too many requests"),
    "headers-too-large": (431, "Request headers too large"),
    "internal-error": (500, "Internal server error"),
    "unavailable": (503, "Service unavailable"),
}


class JsonApiError(Exception):
    """A failure that becomes one JSON:API error object."""

    code = "internal-error"

    def __init__(self, detail, *, parameter=None, pointer=None, header=None, headers=None):
        super().__init__(detail)
        self.detail = detail
        self.source = {}
        if parameter is not None:
            self.source["parameter"] = parameter
        if pointer is not None:
            self.source["pointer"] = pointer
        if header is not None:
            self.source["header"] = header
        self.headers = headers or {}

    @property
    def status(self):
        return ERROR_CODES[self.code][0]

    def to_dict(self):
        """The error object, as the `errors` member lists it."""
        error = {
            "status": str(self.status),
            "code": self.code,
            "title": ERROR_CODES[self.code][1],
            "detail": self.detail,
        }
        if self.source:
            error["source"] = self.source
        return error


class InvalidQueryParameter(JsonApiError):
    code = "invalid-query-parameter"


class InvalidInclude(JsonApiError):
    code = "invalid-include"


class InvalidFields(JsonApiError):
    code = "invalid-fields"


class InvalidSort(JsonApiError):
    code = "invalid-sort"


class InvalidPage(JsonApiError):
    code = "invalid-page"


class InvalidFilter(JsonApiError):
    code = "invalid-filter"


class InvalidDocument(JsonApiError):
    code = "invalid-document"


class BadRequest(JsonApiError):
    code = "bad-request"


class NotAuthenticated(JsonApiError):
    code = "not-authenticated"


class Forbidden(JsonApiError):
    code = "forbidden"


class NotFound(JsonApiError):
    code = "not-found"


class NotAcceptable(JsonApiError):
    code = "not-acceptable"


class Conflict(JsonApiError):
    code = "conflict"


class PayloadTooLarge(JsonApiError):
    code = "payload-too-large"


class UriTooLong(JsonApiError):
    code = "uri-too-long"


class UnsupportedMediaType(JsonApiError):
    code = "unsupported-media-type"


class Unprocessable(JsonApiError):
    code = "unprocessable"


class Emergency(JsonApiError):
    code = "emergency"


class RateLimited(JsonApiError):
    code = "rate-limited"


class InternalError(JsonApiError):
    code = "internal-error"


class Unavailable(JsonApiError):
    code = "unavailable"


class ErrorList(Exception):
    """Several errors answered together (one per invalid field), sharing one status."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} errors")

    @property
    def status(self):
        statuses = {error.status for error in self.errors}
        return statuses.pop() if len(statuses) == 1 else 400
