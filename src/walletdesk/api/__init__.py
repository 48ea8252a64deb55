"""HTTP API v1 (FastAPI). Thin: parse, call one service function, map the result."""
