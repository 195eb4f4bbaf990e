"""The ``vellarys`` command line: each command's module is imported when it runs (see catalog)."""

import typer

from vellarys.cli.catalog import CatalogGroup

app = typer.Typer(
    cls=CatalogGroup,
    help="Vellarys: the AI sales assistant for real-estate agencies.",
    no_args_is_help=True,
)


@app.callback()
def main() -> None:
    # A callback makes the app a group even though no command is registered on it directly.
    pass


__all__ = ["app"]
