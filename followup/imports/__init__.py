"""The plan and roster imports: reading files, checking every cell, applying in one transaction."""
