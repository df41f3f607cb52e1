"""Bodies of the demo notes, named by arXiv id. `[[@ARXIV]]` stands for that paper's citekey."""
