"""Proof that the floor answers what the app answers: the parsed documents must be equal.

Only one thing may differ: the scheme, host and port the links start with, since the two
servers listen on different ports. That prefix is rewritten, nothing is removed.
"""

import difflib
import json


def rebased(value, old, new):
    """`value` with every string starting with `old` starting with `new` instead."""
    if isinstance(value, dict):
        return {k: rebased(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [rebased(v, old, new) for v in value]
    if isinstance(value, str) and value.startswith(old):
        return new + value[len(old) :]
    return value


def difference(app_document, floor_document, limit=80):
    """None when the documents are equal; else the first lines of a unified diff."""
    if app_document == floor_document:
        return None
    lines = difflib.unified_diff(
        json.dumps(app_document, indent=1, sort_keys=True).splitlines(),
        json.dumps(floor_document, indent=1, sort_keys=True).splitlines(),
        "app",
        "floor",
        lineterm="",
    )
    return "\n".join(list(lines)[:limit])


class DocumentsDiffer(Exception):
    """The floor's document is not the app's: the comparison of its scenario is void."""
