"""This request's URLs as werkzeug writes them, each worked out once for its parts.

werkzeug builds `request.host_url` and `request.base_url` anew for every request (it
quotes their parts, then decodes the whole to an IRI: 13 us of a catalog read's CPU).
They depend on the scheme, host, root path and path alone, and those repeat from
request to request.
"""

from functools import lru_cache

from flask import request
from werkzeug.sansio.utils import get_current_url

current_url = lru_cache(maxsize=4096)(get_current_url)
# Longer paths are not remembered: a client's many long made-up paths would hold memory
# and push the catalog's own out.
REMEMBERED_PATH_LENGTH = 256


def host_url():
    """`request.host_url`: the scheme and host, and a slash."""
    return current_url(request.scheme, request.host)


def base_url():
    """`request.base_url`: the request's URL without its query string."""
    path = request.path
    build = current_url if len(path) <= REMEMBERED_PATH_LENGTH else get_current_url
    return build(request.scheme, request.host, request.root_path, path)
