"""Rules of the codebase that a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "vellarys"
UNIT_OF_WORK = PACKAGE / "db" / "uow.py"
ENDS_TRANSACTION = re.compile(r"\.(commit|rollback)\(")


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def test_only_the_unit_of_work_commits_or_rolls_back() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{number}"
        for path in _sources()
        if path != UNIT_OF_WORK
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if ENDS_TRANSACTION.search(line)
    ]
    assert offenders == []


def test_the_unit_of_work_really_commits() -> None:
    # Guards the test above against passing because the pattern no longer matches anything.
    assert ENDS_TRANSACTION.search(UNIT_OF_WORK.read_text())


def test_no_module_is_named_utils_helpers_or_manager() -> None:
    banned = {"utils.py", "helpers.py", "manager.py"}
    assert [p for p in _sources() if p.name in banned or p.name.endswith("_service.py")] == []


SERVICES = PACKAGE / "services"
SQL_BUILDERS = {"select", "insert", "update", "delete"}


def _sql_builders(paths: list[Path]) -> list[str]:
    """Where these files import select/insert/update/delete from any sqlalchemy module."""
    return [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
        for path in paths
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").split(".")[0] == "sqlalchemy"
        and SQL_BUILDERS & {alias.name for alias in node.names}
    ] + [
        f"{path.relative_to(PACKAGE.parent)}:{number}"
        for path in paths
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\bsqlalchemy(\.\w+)*\.(select|insert|update|delete)\(", line)
    ]


def test_services_build_no_sql_themselves() -> None:
    # Statements belong in vellarys/db/queries, as small functions scoped by tenant.
    assert _sql_builders(sorted(SERVICES.rglob("*.py"))) == []


def test_the_sql_builder_check_sees_the_query_modules() -> None:
    # Guards the test above against passing because the check no longer matches anything.
    assert len(_sql_builders(sorted((PACKAGE / "db" / "queries").rglob("*.py")))) > 10
