"""Connections: one store linked to TikTok Shop (features C1 to C5).

- :mod:`.models`: the connection, its shops, the queue messages.
- :mod:`.repository`: DynamoDB storage with conditional writes.
- :mod:`.oauth_state`: signed, single-use, expiring OAuth states.
- :mod:`.vault`: tokens encrypted with KMS, the connection id as encryption context.
- :mod:`.merchant`: merchant access (connection-scoped bearer token, signed session cookie).
- :mod:`.install`: the install journey (store OAuth, TikTok authorization).
- :mod:`.lifecycle`: token refresh, needs-reauthorization, connection check, disconnect.
- :mod:`.events`: webhook intake (dedupe, tenant resolution, enqueue) and the event router.
"""
