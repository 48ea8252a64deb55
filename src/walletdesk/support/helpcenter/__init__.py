"""The help centre: shipped articles in zh-CN and en, their storage, and bilingual search.

``articles`` parses the shipped Markdown, ``vocabulary`` and ``tokenize`` turn text into
index and query tokens (plain Python, no I/O), ``tables``/``search``/``service`` store,
index and serve them, ``bench`` measures search latency and recall.
"""
