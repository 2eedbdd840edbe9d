"""HR's operations: one function per HR and lead operation, used by Teams and the CLI alike."""
