"""Filter values shared by the catalog types: enumerations, lists and booleans."""


class FilterValueError(ValueError):
    """A filter value that cannot be read; the message tells the client what it must be."""


def one_or_more(value, allowed=None):
    """`a,b` -> ["a", "b"] (any of them matches), lowercased when `allowed` is given."""
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise FilterValueError("The filter needs a value.")
    if allowed is not None:
        items = [item.lower() for item in items]
        unknown = sorted(set(items) - set(allowed))
        if unknown:
            raise FilterValueError(
                f"Unknown value(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}."
            )
    return items


def boolean(value):
    """ "true"/"false" -> True/False."""
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise FilterValueError("The filter takes true or false.")
    return lowered == "true"
