"""The Textual app: a thin layer over kb/, notes/ and reproductions/."""
