"""Refusing input no endpoint can mean: NUL characters in the URL, or a URL past any use.

PostgreSQL cannot store or compare a NUL in text, so a NUL reaching a query would fail
there and not on SQLite; refusing it up front answers the same 400 on every database.
"""

from flask import request

from inquick.jsonapi.errors import InvalidQueryParameter, NotFound, UriTooLong

NUL = "\x00"
# Far past any URL the API hands out or a client builds; below what servers in front allow.
MAX_URL_LENGTH = 8000


def init_app(app):
    """Run before the URL's values are used (tenancy resolves the hostname in one too)."""
    app.url_value_preprocessor(refuse_unusable_urls)


def refuse_unusable_urls(_endpoint=None, _values=None):
    if len(request.full_path) > MAX_URL_LENGTH:
        raise UriTooLong(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if NUL in request.path:
        raise NotFound("The URL contains a NUL character.")
    for name, value in request.args.items(multi=True):
        if NUL in name or NUL in value:
            raise InvalidQueryParameter(
                "Query parameters must not contain NUL characters.",
                parameter=name.replace(NUL, ""),
            )
