"""TikTok Shop Open API (versioned per operation): signing, the HTTP client, OAuth, errors, webhook models.

Import the submodule you need (``connector.tiktok.client``, ``.signing``, ``.webhooks``...);
this package module itself stays empty so importing one piece stays cheap.
"""
