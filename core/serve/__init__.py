"""`orc serve`: the room over HTTP and a WebSocket, for a phone or a script (docs/ARCHITECTURE.md).

A composition root beside the CLI: it drives the same `Room` methods the CLI calls, so refusals,
verification, records and redaction are the CLI's. FastAPI and uvicorn come from the optional
extra `orc[serve]`; nothing here is imported unless `orc serve` (or `orc ui --web`) runs.
"""
