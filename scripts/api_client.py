"""A small bankdemo API client (standard library only): sign in, list accounts, keep
refreshing before the access token expires, and say why the session ended.

    python scripts/api_client.py --username alice --password demo-alice-2026
    python scripts/api_client.py --drop-refresh-once   # a refresh response "lost"

``--drop-refresh-once`` sends the first refresh, throws its response away as if the
connection dropped, and retries with the same refresh token: within the server's
grace it gets the same new pair back, and goes on signed in. When the session ends
(idle, an administrator's force sign-out, another device...), it prints the
server's reason and exits with status 3.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable

USER_AGENT = "bankdemo-api-client/1"
# Refresh when this share of the access token's life is left (a slow network and
# a clock that drifts must not make it late).
REFRESH_AT = 0.2
ENDED = 3


class Refused(Exception):
    def __init__(self, status: int, body: dict):
        super().__init__(f"{status} {body}")
        self.status, self.body = status, body


class Api:
    def __init__(self, base: str, out=print):
        self.base = base.rstrip("/")
        self.out = out

    def call(self, method: str, path: str, body=None, token=None, background=False):
        """One request; the JSON answer, or Refused. A 503 is retried with backoff."""
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if background:
            headers["X-Session-Background"] = "1"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in range(6):
            request = urllib.request.Request(
                self.base + path, data=data, method=method, headers=headers
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    text = response.read().decode() or "null"
                    return json.loads(text)
            except urllib.error.HTTPError as exc:
                payload = _json(exc.read())
                if exc.code == 503 and attempt < 5:
                    wait = float(exc.headers.get("Retry-After", 1)) * (attempt + 1)
                    self.out(f"server busy (503): trying again in {wait:.0f} s")
                    time.sleep(wait)
                    continue
                raise Refused(exc.code, payload) from None
        raise AssertionError("unreachable")


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw.decode() or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def run(
    api: Api,
    *,
    username: str,
    password: str,
    drop_refresh_once: bool = False,
    calls: int = 0,
    every: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Sign in and keep the session in use; return the exit status."""
    out = api.out
    try:
        pair = api.call(
            "POST", "/api/token/", {"username": username, "password": password}
        )
    except Refused as exc:
        out(f"sign-in refused: {exc.body.get('reason')} ({exc.status})")
        return 1
    got_at, dropped, done = clock(), not drop_refresh_once, 0
    out(f"signed in; access token for {pair['access_expires_in']:.0f} s")
    try:
        while True:
            for account in api.call("GET", "/api/accounts/", token=pair["access"]):
                out(f"  {account['name']}: £{account['balance']}")
            done += 1
            if calls and done >= calls:
                return 0
            left = pair["access_expires_in"] - (clock() - got_at)
            margin = pair["access_expires_in"] * REFRESH_AT
            sleep(max(min(every, left - margin), 0))
            if pair["access_expires_in"] - (clock() - got_at) <= margin:
                body = {"refresh": pair["refresh"]}
                if not dropped:
                    api.call("POST", "/api/token/refresh/", body)  # ...and lost
                    dropped = True
                    out("refresh sent, response dropped: retrying with the same token")
                pair, got_at = api.call("POST", "/api/token/refresh/", body), clock()
                out(f"refreshed; access token for {pair['access_expires_in']:.0f} s")
    except Refused as exc:
        reason = exc.body.get("reason", "unknown")
        out(f"session ended: {reason}: {exc.body.get('detail', '')}")
        return ENDED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--username", default="alice")
    parser.add_argument("--password", default="demo-alice-2026")
    parser.add_argument("--drop-refresh-once", action="store_true")
    parser.add_argument(
        "--every", type=float, default=10.0, help="seconds between calls"
    )
    parser.add_argument("--calls", type=int, default=0, help="stop after N (0: never)")
    args = parser.parse_args(argv)
    return run(
        Api(args.url, out=lambda line: print(line, flush=True)),
        username=args.username,
        password=args.password,
        drop_refresh_once=args.drop_refresh_once,
        calls=args.calls,
        every=args.every,
    )


if __name__ == "__main__":
    sys.exit(main())
