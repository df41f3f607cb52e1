"""Full-text indexing: chunks, embeddings (Chroma), the FTS5 lexical index, `kb index`."""
