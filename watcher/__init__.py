"""Evidence in: PubMed (through Bio.Entrez) → parsed articles → evidence tags → SQLite."""

__version__ = "0.1.0"
