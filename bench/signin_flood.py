"""A sign-in flood for bench/gateway_flood.sh: wrong passwords, as fast as the portal answers.

Each attempt names another email and, through X-Forwarded-For (the portal
runs with DJANGO_BEHIND_TLS_PROXY=true), comes from another address, so
neither the per-account nor the per-address pause stops it: the worst
case, a distributed flood, where every attempt costs a password hash.
Usage: python bench/signin_flood.py BASE_URL SECONDS [THREADS]
Prints the attempts made and how they were answered.
"""

from __future__ import annotations

import collections
import itertools
import re
import sys
import threading
import time
from http.client import HTTPConnection
from urllib.parse import urlencode, urlsplit

counter = itertools.count()
lock = threading.Lock()
answers: collections.Counter[int] = collections.Counter()


def flood(host: str, port: int, until: float) -> None:
    connection = HTTPConnection(host, port, timeout=60)
    connection.request("GET", "/signin/")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not cookie or not token:
        raise SystemExit("the sign-in page gave no CSRF token")
    while time.monotonic() < until:
        n = next(counter)
        body = urlencode(
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": f"flood{n}@example.com",
                "password": "not the password",
            }
        )
        address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        connection.request(
            "POST",
            "/signin/",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookie.group(1)}",
                "X-Forwarded-For": address,
                "X-Forwarded-Proto": "http",
            },
        )
        response = connection.getresponse()
        response.read()
        with lock:
            answers[response.status] += 1


def main() -> None:
    base, seconds = sys.argv[1], float(sys.argv[2])
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    parts = urlsplit(base)
    until = time.monotonic() + seconds
    workers = [
        threading.Thread(target=flood, args=(parts.hostname, parts.port, until))
        for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    total = sum(answers.values())
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(answers.items()))
    print(f"sign-in flood: {total} attempts in {seconds:.0f}s ({statuses})")


if __name__ == "__main__":
    main()
