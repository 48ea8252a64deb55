"""The customer-service centre: official contacts and scam checks (``contacts``), and more to come.

Rules here are plain Python: no SQLAlchemy, FastAPI or I/O beyond reading shipped data.
"""
