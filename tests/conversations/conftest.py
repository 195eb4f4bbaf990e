"""The scripted conversations run on the indexed demo agency of the brain tests."""

from tests.brain.conftest import demo, demo_template, graph

__all__ = ["demo", "demo_template", "graph"]
