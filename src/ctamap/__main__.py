"""`python -m ctamap` runs the command-line tool."""

from ctamap.cli import main

main()
