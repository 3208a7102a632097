"""`python -m chfw_api.cli ...`: the same as the `chfw` console script."""

from chfw_api.cli import app

if __name__ == "__main__":
    app()
