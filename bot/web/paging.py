"""Paging for the console's tables: a page number from the query string, one row more than
shown fetched to know whether a next page exists (long lists never load whole)."""
from dataclasses import dataclass

from flask import request

PER_PAGE = 20


@dataclass
class Page:
    items: list
    number: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.number > 1


def page_number() -> int:
    raw = request.args.get("page", "1")
    return max(int(raw), 1) if raw.isdigit() and len(raw) < 7 else 1


def fetch_page(fetch, per_page: int = PER_PAGE) -> Page:
    """`fetch(limit, offset)` returns rows; a store function that pages itself."""
    number = page_number()
    rows = list(fetch(per_page + 1, (number - 1) * per_page))
    return Page(rows[:per_page], number, len(rows) > per_page)


def slice_page(rows: list, per_page: int = PER_PAGE) -> Page:
    """For store functions that return a whole (short) list."""
    return fetch_page(lambda limit, offset: rows[offset:offset + limit], per_page)
