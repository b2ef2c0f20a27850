"""Read the emails a local cloud sent (moto's SES keeps every one).

    python -m connector.notifications outbox --endpoint-url http://127.0.0.1:<moto port> [--to ADDRESS] [--json]

The endpoint is the ``moto`` line the local cloud prints (``make local``). On AWS, SES does not
keep sent mail: read the task worker's log (``notification digest sent``) or the recipient's inbox.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def outbox(endpoint_url: str, to: str | None = None) -> list[dict[str, Any]]:
    """The emails moto's SES holds (oldest first), optionally only those sent to ``to``."""
    import httpx

    # The local cloud's own listing of moto's SES (local/cloud/moto_server.py): small and quick,
    # where moto's data.json dumps every service's state.
    messages = httpx.get(f"{endpoint_url.rstrip('/')}/local-cloud/ses/sent-emails.json", timeout=30).json()
    found = []
    for m in messages:
        recipients = [a for addresses in (m.get("destinations") or {}).values() for a in addresses]
        if to is None or to in recipients:
            found.append({"id": m.get("id"), "from": m.get("source"), "to": recipients,
                          "subject": m.get("subject"), "body": m.get("body")})
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connector.notifications", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    box = sub.add_parser("outbox", help="list the emails the local cloud sent")
    box.add_argument("--endpoint-url", required=True, help="the local cloud's moto URL")
    box.add_argument("--to", default=None, help="only emails to this address")
    box.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)
    emails = outbox(args.endpoint_url, args.to)
    if args.json:
        json.dump(emails, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for email in emails:
        sys.stdout.write(f"--- {email['id']}\nFrom: {email['from']}\nTo: {', '.join(email['to'])}\n"
                         f"Subject: {email['subject']}\n\n{email['body']}\n")
    sys.stdout.write(f"{len(emails)} email(s)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
