"""The project's own natural-language processing: spaCy pipeline and helpers."""
