"""Thin FastAPI layer over the engine: plans, quotes, promise checks."""
