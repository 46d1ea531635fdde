"""The `govern` command line: one module per verb, loaded only when that verb runs."""
