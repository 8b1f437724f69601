"""`python -m watcher` is `mildwatch`."""

from watcher.cli import main

main()
