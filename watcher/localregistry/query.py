"""The registry's search expressions, as far as the local server needs them: words and quoted
phrases joined by AND / OR / NOT, with parentheses (ClinicalTrials.gov's "Essie" syntax,
of which this is the common core). A malformed expression raises ``ValueError`` with the
message the server sends back in its HTTP 400, as the real API does."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"|([^\s()"]+))')

Matcher = Callable[[str], bool]


@dataclass(frozen=True)
class _Token:
    kind: str  # "(" | ")" | "phrase" | "op"
    text: str


def _tokens(expression: str) -> list[_Token]:
    if expression.count('"') % 2:
        raise ValueError(f"unbalanced quotation marks in {expression!r}")
    found, position = [], 0
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if match is None or match.end() == position:
            break
        position = match.end()
        opening, closing, quoted, word = match.groups()
        if opening or closing:
            found.append(_Token(opening or closing, opening or closing))
        elif quoted is not None:
            found.append(_Token("phrase", quoted))
        elif word.upper() in ("AND", "OR", "NOT"):
            found.append(_Token("op", word.upper()))
        else:
            found.append(_Token("phrase", word))
    return found


def _phrase(text: str) -> Matcher:
    words = [re.escape(w) for w in re.split(r"[\s-]+", text.strip()) if w]
    if not words:
        raise ValueError('an empty phrase "" matches nothing')
    pattern = re.compile(r"(?<!\w)" + r"[\s-]*".join(words) + r"(?!\w)", re.IGNORECASE)
    return lambda haystack: bool(pattern.search(haystack))


class _Parser:
    """or := and (OR and)* ; and := not ((AND)? not)* ; not := NOT not | atom."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = _tokens(expression)
        self.at = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise ValueError(f"the expression {self.expression!r} ends too early")
        self.at += 1
        return token

    def parse(self) -> Matcher:
        matcher = self.either()
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.peek().text!r} in {self.expression!r}")  # type: ignore[union-attr]
        return matcher

    def either(self) -> Matcher:
        parts = [self.both()]
        while (token := self.peek()) and token == _Token("op", "OR"):
            self.take()
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else (lambda h: any(p(h) for p in parts))

    def both(self) -> Matcher:
        parts = [self.negated()]
        while (token := self.peek()) and token.kind != ")" and token != _Token("op", "OR"):
            if token == _Token("op", "AND"):
                self.take()
            parts.append(self.negated())
        return parts[0] if len(parts) == 1 else (lambda h: all(p(h) for p in parts))

    def negated(self) -> Matcher:
        if self.peek() == _Token("op", "NOT"):
            self.take()
            inner = self.negated()
            return lambda h: not inner(h)
        return self.atom()

    def atom(self) -> Matcher:
        token = self.take()
        if token.kind == "(":
            inner = self.either()
            if self.take().kind != ")":
                raise ValueError(f"a parenthesis is not closed in {self.expression!r}")
            return inner
        if token.kind == "phrase":
            return _phrase(token.text)
        raise ValueError(f"unexpected {token.text!r} in {self.expression!r}")


def parse_expression(expression: str) -> Matcher:
    """A predicate over a text; ValueError (with the reason) for a malformed expression."""
    if not expression.strip():
        raise ValueError("the expression is empty")
    return _Parser(expression).parse()
