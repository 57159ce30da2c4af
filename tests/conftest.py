"""Fixtures live in `tests/fixtures/`, one module per real part; this registers them."""

pytest_plugins = [
    "tests.fixtures.bonifiq",
    "tests.fixtures.database",
    "tests.fixtures.telegram",
    "tests.fixtures.app",
    "tests.fixtures.web",
    "tests.fixtures.graph",
    "tests.fixtures.whatsapp",
]
