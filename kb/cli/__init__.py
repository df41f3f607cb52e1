"""The `kb` command line. Subcommands live in one module per area and load only when used."""
