"""`python -m govern` runs the CLI."""

from govern.cli.main import run

if __name__ == "__main__":
    run()
