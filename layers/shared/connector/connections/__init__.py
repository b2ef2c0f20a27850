"""Connections: one store linked to TikTok Shop (install, authorization, tokens, check, disconnect).

- :mod:`.models`: the connection, its shops, the queue messages.
- :mod:`.repository`: DynamoDB storage with conditional writes; store and TikTok shop claims.
- :mod:`.oauth_state`: signed, single-use, expiring OAuth states bound to the browser.
- :mod:`.vault`: tokens encrypted with KMS, the connection id as encryption context.
- :mod:`.merchant`: merchant access (connection-scoped bearer token, signed session cookie).
- :mod:`.credentials`: rotating and revoking the merchant's token (every session ends).
- :mod:`.pages`: the install's HTML pages and their security headers.
- :mod:`.install`: the install journey (store OAuth, TikTok authorization).
- :mod:`.lifecycle`: token refresh, needs-reauthorization, connection check, disconnect, the
  confirmed store uninstall.
- :mod:`.events`: webhook intake (dedupe, tenant resolution, enqueue) and the event router.
"""
