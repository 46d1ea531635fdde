"""`python -m govern` runs the CLI."""

from govern.cli.main import main

if __name__ == "__main__":
    main()
