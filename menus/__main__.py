"""`python -m menus check`: list the problems of the shipped menus; exit 1 if there are any.

The lead wires `gateway menus check` to menus.check.check_default() the same way.
"""
from __future__ import annotations

import sys

from menus.check import check_default


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["check"]:
        print("usage: python -m menus check", file=sys.stderr)
        return 2
    problems = check_default()
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s)" if problems else "menus OK", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
