"""Text folded for search: lowercase, without accents or apostrophes, hyphens as spaces.

Searches compare folded query words with folded copies of each row's name-like attributes
(`search_name`, `search_text`), so "jose" finds "José", "oneil" and "o'neil" find
"O'Neil", and "smith jones" finds "Smith-Jones". The copies are folded here, in Python,
by the same function as the query: the two can never disagree, on any database. Folded
text is matched literally (`escape_like`) and by prefix as a range (`successor`).
"""

import unicodedata

# Letters NFKD does not decompose, folded as PostgreSQL's unaccent folds them (æ œ ø ł đ ð
# þ, dotless i); apostrophes dropped, typographic ones too ("O'Neil" is "oneil"); dashes,
# hyphen to em dash, are word breaks ("Smith-Jones" is two words).
SPECIAL = str.maketrans(
    {"\u00e6": "ae", "\u0153": "oe", "\u00f8": "o", "\u0142": "l", "\u0111": "d",
     "\u00f0": "d", "\u00fe": "th", "\u0131": "i",
     "'": None, "\u2019": None, "\u2018": None, "\u02bc": None, "`": None,
     "-": " ", "\u2010": " ", "\u2011": " ", "\u2013": " ", "\u2014": " "}
)  # fmt: skip


def fold(text):
    """`text` lowercased, its accents and apostrophes removed, its words one space apart."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(SPECIAL)
    return " ".join(plain.split())


def escape_like(text):
    """`text` matched literally by LIKE with the escape character `\\`."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def successor(text):
    """The least text after every text starting with `text`, in code point order (None if
    there is none: `text` is all U+10FFFF)."""
    while text:
        following = ord(text[-1]) + 1
        following = 0xE000 if following == 0xD800 else following  # no surrogate is text
        if following <= 0x10FFFF:
            return text[:-1] + chr(following)
        text = text[:-1]
    return None


def folded_parts(*parts):
    """The folded text of several attributes: texts, lists of texts, or None."""
    words = []
    for part in parts:
        for text in part if isinstance(part, list | tuple) else [part]:
            if text:
                words.append(fold(str(text)))
    return " ".join(word for word in words if word)
