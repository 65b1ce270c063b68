"""`python -m purser.cli` runs the `purser` command."""

from purser.cli import main

main()
