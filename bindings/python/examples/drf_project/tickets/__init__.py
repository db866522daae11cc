"""A complete Django REST framework project whose API is guarded by tokenauth (docs/python.md)."""
