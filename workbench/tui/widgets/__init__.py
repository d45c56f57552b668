"""Widgets the screens are built from; each is small and knows nothing of the project on disk."""
