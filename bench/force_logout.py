"""Admin "Force sign-out" to the customer's open tab, on the full stack.

    .venv/bin/python bench/force_logout.py [--runs 100]

One daphne on Redis: each run signs alice in, opens her tab's socket, then an
administrator posts the admin action over HTTP; the time runs from sending the
POST until the tab's socket receives "expired". Target: p99 <= 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
import urllib.parse
import urllib.request

from harness import percentile
from live import LiveStack, open_socket, sign_in

CHANGELIST = "/admin/sessions_core/sessionrecord/"


def admin_post(stack: LiveStack, admin_key: str, csrf: str, token: str, record_id: int):
    body = urllib.parse.urlencode(
        {
            "action": "force_sign_out",
            "_selected_action": record_id,
            "confirmed": "yes",
            "csrfmiddlewaretoken": token,
        }
    ).encode()
    request = urllib.request.Request(
        stack.url + CHANGELIST,
        data=body,
        headers={"Cookie": f"sessionid={admin_key}; csrftoken={csrf}"},
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(request, timeout=10)
    except urllib.error.HTTPError as exc:  # the admin answers with a 302
        assert exc.code == 302, exc.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def csrf_for(stack: LiveStack, admin_key: str) -> tuple[str, str]:
    request = urllib.request.Request(
        stack.url + CHANGELIST, headers={"Cookie": f"sessionid={admin_key}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        cookie = response.headers.get("Set-Cookie", "")
        html = response.read().decode()
    csrf = re.search(r"csrftoken=([^;]+)", cookie).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return csrf, token


async def run(runs: int) -> None:
    stack = LiveStack()
    stack.setup_django()
    from django.contrib.auth import get_user_model

    from sessions_core.models import SessionRecord, digest_key

    users = get_user_model().objects
    alice, admin = users.get(username="alice"), users.get(username="admin")
    admin_key = sign_in(admin)
    stack.start()
    try:
        csrf, token = csrf_for(stack, admin_key)
        latencies = []
        for _ in range(runs):
            key = sign_in(alice)
            record_id = SessionRecord.objects.get(key_digest=digest_key(key)).pk
            socket = await open_socket(stack, key)
            assert json.loads(await socket.recv())["type"] == "state"
            started = time.perf_counter()
            post = asyncio.create_task(
                asyncio.to_thread(admin_post, stack, admin_key, csrf, token, record_id)
            )
            while True:
                message = json.loads(await asyncio.wait_for(socket.recv(), 5))
                if message["type"] == "expired":
                    break
            latencies.append((time.perf_counter() - started) * 1000)
            assert message["reason"] == "admin", message
            await post
            await socket.close()
        print(
            f"force sign-out -> open tab over {runs} runs: "
            f"p50 {percentile(latencies, 50):.1f} ms, "
            f"p99 {percentile(latencies, 99):.1f} ms, max {max(latencies):.1f} ms"
        )
    finally:
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    asyncio.run(run(parser.parse_args().runs))


if __name__ == "__main__":
    main()
