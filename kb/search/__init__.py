"""Search over the indexes: hybrid (dense + lexical, fused), glossary expansion for Chinese."""
