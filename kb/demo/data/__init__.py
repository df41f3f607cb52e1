"""Package data for the demo library: paper texts (TOML), the demo plan and note bodies."""
