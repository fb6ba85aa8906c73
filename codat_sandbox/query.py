"""A small implementation of Codat's query language, for list-integrations.

    key=gbol   name~xero   sourceType=Accounting && enabled=true   {key=gbol || key=qhyg}

Operators: = != ~ (contains) > < >= <=, joined by && and ||, grouped with {}.
String comparisons ignore case. Unknown properties are an error, as at Codat.
"""

from __future__ import annotations

import re
from typing import Any, Callable

FIELDS = {"key": str, "name": str, "sourceType": str, "sourceId": str, "enabled": bool, "isBeta": bool}

_CLAUSE = re.compile(r"^\s*([A-Za-z]+)\s*(!=|>=|<=|=|~|>|<)\s*(.*?)\s*$")

Predicate = Callable[[dict], bool]


class QueryError(ValueError):
    pass


def _tokens(text: str) -> list[str]:
    parts = (part.strip() for part in re.split(r"(\{|\}|&&|\|\|)", text))
    return [part for part in parts if part]


def _clause(text: str) -> Predicate:
    match = _CLAUSE.match(text)
    if not match:
        raise QueryError("Malformed query.")
    name, operator, raw = match.groups()
    if not raw or any(symbol in raw for symbol in "=<>~!"):
        raise QueryError("Malformed query.")
    if name not in FIELDS:
        raise QueryError(f"Could not resolve property {name} on Integration")
    if FIELDS[name] is bool:
        if raw.lower() not in ("true", "false") or operator not in ("=", "!="):
            raise QueryError("Malformed query.")
        wanted: Any = raw.lower() == "true"
        return lambda item: (item.get(name) == wanted) == (operator == "=")
    wanted = raw.lower()

    def compare(item: dict) -> bool:
        value = str(item.get(name, "")).lower()
        return {
            "=": value == wanted,
            "!=": value != wanted,
            "~": wanted in value,
            ">": value > wanted,
            "<": value < wanted,
            ">=": value >= wanted,
            "<=": value <= wanted,
        }[operator]

    return compare


def compile_query(text: str) -> Predicate:
    if len(text) >= 2048:
        raise QueryError("Malformed query.")
    tokens = _tokens(text)
    position = 0

    def peek():
        return tokens[position] if position < len(tokens) else None

    def take():
        nonlocal position
        position += 1
        return tokens[position - 1]

    def expression() -> Predicate:
        terms = [conjunction()]
        while peek() == "||":
            take()
            terms.append(conjunction())
        return lambda item: any(term(item) for term in terms)

    def conjunction() -> Predicate:
        factors = [factor()]
        while peek() == "&&":
            take()
            factors.append(factor())
        return lambda item: all(f(item) for f in factors)

    def factor() -> Predicate:
        token = peek()
        if token is None or token in ("&&", "||", "}"):
            raise QueryError("Malformed query.")
        take()
        if token == "{":
            inner = expression()
            if peek() != "}":
                raise QueryError("Malformed query.")
            take()
            return inner
        return _clause(token)

    predicate = expression()
    if position != len(tokens):
        raise QueryError("Malformed query.")
    return predicate


def order_key(order_by: str) -> Callable[[dict], Any]:
    name = order_by.lstrip("-")
    if name not in FIELDS:
        raise QueryError(f"Could not resolve property {name} on Integration")
    return lambda item: (str(item.get(name, "")).lower() if FIELDS[name] is str else item.get(name))
