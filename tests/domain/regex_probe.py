"""Run every text pattern of the domain and services over long adversarial inputs.

Run as a script (``python -m tests.domain.regex_probe``), in a child process the test can
stop: a pattern that backtracks quadratically takes hours on these inputs instead of
milliseconds, so it never finishes and the test fails. Prints how many patterns it ran.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

import vellarys.domain
import vellarys.services

LENGTH = 50_000
# Runs of one character or a short unit: what makes a backtracking pattern retry every start.
_UNITS = ["a", "é", "1", ".", " ", "#", "@", "\n", "😊", "a.", "a@", "1.", "# ", "sou ", "a@a."]


def adversarial_inputs() -> Iterator[str]:
    for unit in _UNITS:
        run = unit * (LENGTH // len(unit))
        yield run
        yield run + "\x00!"  # a failure at the very end forces every start to be retried


def _patterns(value: Any, depth: int = 0) -> Iterator[re.Pattern[str]]:
    if isinstance(value, re.Pattern):
        if isinstance(value.pattern, str):
            yield value
    elif depth < 3 and isinstance(value, tuple | list | frozenset | set):
        for item in value:
            yield from _patterns(item, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for item in value.values():
            yield from _patterns(item, depth + 1)


def all_patterns() -> list[re.Pattern[str]]:
    found: dict[tuple[str, int], re.Pattern[str]] = {}
    for package in (vellarys.domain, vellarys.services):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            for value in vars(module).values():
                for pattern in _patterns(value):
                    found[(pattern.pattern, pattern.flags)] = pattern
    return list(found.values())


def main() -> None:
    patterns = all_patterns()
    texts = list(adversarial_inputs())
    for pattern in patterns:
        for text in texts:
            for _ in pattern.finditer(text):
                pass
            pattern.match(text)
    print(len(patterns), len(texts))


if __name__ == "__main__":
    main()
