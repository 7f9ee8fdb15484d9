"""The Engine interface and one module per engine: whoosh (default); later tantivy and typesense."""
