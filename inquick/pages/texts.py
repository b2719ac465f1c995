"""The pages' texts, one JSON file per language in `texts/`, chosen from Accept-Language.

Every word a page shows comes from here (the template and the script alike), so a second
language is one more file with the same keys; a test keeps the files' keys equal.
"""

import json
from functools import cache
from importlib.resources import files

DEFAULT_LANGUAGE = "en"


@cache
def languages():
    """{language code: texts} for every file in `texts/`, read once per process."""
    folder = files("inquick.pages").joinpath("texts")
    return {
        entry.name.removesuffix(".json"): json.loads(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    }


def texts_for(accept_languages):
    """The texts of the best language the browser accepts, English when none is available."""
    available = languages()
    chosen = accept_languages.best_match(available, default=DEFAULT_LANGUAGE)
    return available[chosen]
