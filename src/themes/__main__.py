"""`python -m themes`: the `themes` command."""

from themes.cli import main

if __name__ == "__main__":
    main()
