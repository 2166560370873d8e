"""``dnabert`` subcommands, one module per pipeline stage."""
