"""Operator test options: `--update-golden` rewrites tests/golden/operator/ outputs."""


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/operator outputs")
