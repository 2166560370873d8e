"""Dataset builders: one module per task family, sharing the writer in ``common``."""
