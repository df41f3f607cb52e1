"""One module per screen. Each screen loads its data in thread workers and renders messages."""
