"""`filter[search]`: the rows whose name-like attributes hold every word typed, best first.

A search is folded (`inquick.catalog.folding`) and split into words; a row matches when
its folded `search_text` holds every word, anywhere (`LIKE '%word%'`, which PostgreSQL
answers from a trigram index). Unless the request gives `sort`, rows are ranked by how
their folded name meets the search: the name starting with it, then a word of the name
starting with it, then every word starting a word of the name, then the rest; ties by
name (folded, then as written), then id. The words are bound when the statement runs, so
a search typed letter by letter reuses one statement per number of words.
"""

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, case, func, literal_column, select, union_all

from inquick.catalog.filters import FilterValueError
from inquick.catalog.folding import escape_like, fold, successor

# The longest search read, in characters (a name, with room to spare); longer is a 400.
MAX_SEARCH_LENGTH = 100
# The names under which a search's values are bound.
WORD, WORD_START = "search_word", "search_word_start"
# The names starting with the search: from it, and before its last character's successor.
NAME_FROM, NAME_BEFORE, NAME_WORD_PREFIX = "search_from", "search_before", "search_word_prefix"


def search_words(value):
    """The folded words of a search, or `FilterValueError` for one too long or blank."""
    if len(value) > MAX_SEARCH_LENGTH:
        raise FilterValueError(f"A search is at most {MAX_SEARCH_LENGTH} characters.")
    words = fold(value).split()
    if not words:
        raise FilterValueError("A search needs more than spaces, dashes and apostrophes.")
    return words


def like(column, name):
    return column.like(bindparam(name), escape="\\")


@dataclass(frozen=True)
class SearchOf:
    """`filter[search]` on `model` (a `Searchable`): `condition`, `bound` and `rank` of a
    search's value, each raising `FilterValueError` for a value it cannot read."""

    model: type

    def condition(self, value):
        """Every word somewhere in the row's folded text (the words bound by `bound`)."""
        text = self.model.search_text
        return and_(*(like(text, f"{WORD}{n}") for n in range(len(search_words(value)))))

    def bound(self, value):
        """(the number of words, which tells statements apart; the words as LIKE patterns)."""
        words = search_words(value)
        return len(words), {f"{WORD}{n}": f"%{escape_like(w)}%" for n, w in enumerate(words)}

    def rank(self, value):
        return Ranking(self.model, tuple(search_words(value)))


@dataclass(frozen=True)
class Ranking:
    """Rows ranked by how their folded name meets the search (see the module's docstring);
    a `sort` the request gives orders instead."""

    model: type
    words: tuple
    yields_to_sort = True

    @property
    def values(self):
        typed = " ".join(self.words)
        bound = {
            NAME_FROM: typed,
            NAME_BEFORE: successor(typed),
            NAME_WORD_PREFIX: f"% {escape_like(typed)}%",
        }
        bound.update((f"{WORD_START}{n}", f"% {escape_like(w)}%") for n, w in enumerate(self.words))
        return bound

    def starts_name(self):
        """The folded name starts with the search: a range of the name's index, in the code
        point order of the column (its collation on PostgreSQL), whatever the plan."""
        name = self.model.search_name
        return and_(name >= bindparam(NAME_FROM), name < bindparam(NAME_BEFORE))

    def rank(self):
        """1 to 3 for a row whose name does not start with the search (0), best first."""
        spaced = literal_column("' '") + self.model.search_name
        every_word_starts = and_(
            *(like(spaced, f"{WORD_START}{n}") for n in range(len(self.words)))
        )
        return case((like(spaced, NAME_WORD_PREFIX), 1), (every_word_starts, 2), else_=3)

    def page(self, where, order, limit, offset, dialect):
        """One page of the keys `where` lets through, best match first: `s0` the rank, `s1`
        the folded name, `s2` the name, then `order`'s keys (the type's default sort, then
        id).

        The rows whose name starts with the search come first, read in the order of the
        folded name's index and no further than the page: while they fill it, as they do
        for the first letters typed, the other rows (nearly all of them) are not ranked.
        """
        model = self.model
        keys = [model.search_name.label("s1"), model.name.label("s2")]
        keys += [expression.label(f"s{n}") for n, (expression, _) in enumerate(order, 3)]
        directions = [False, False, *(descending for _, descending in order)]
        enough = limit + offset
        best = (
            select(model.id.label("key"), literal_column("0").label("s0"), *keys)
            .where(where, self.starts_name())
            .order_by(*(ordered(key, d) for key, d in zip(keys, directions, strict=True)))
            .limit(enough)
            .cte("best")
        )
        short = select(func.count()).select_from(best).scalar_subquery() < enough
        rest = select(model.id.label("key"), self.rank().label("s0"), *keys).where(
            where, ~self.starts_name(), short
        )
        ranked = union_all(select(best), rest).subquery("ranked")
        columns = [ranked.c[f"s{n}"] for n in range(len(keys) + 1)]
        return (
            select(ranked.c.key, *columns)
            .order_by(*(ordered(c, d) for c, d in zip(columns, [False, *directions], strict=True)))
            .limit(limit)
            .offset(offset)
        )


def ordered(expression, descending):
    return expression.desc() if descending else expression.asc()
