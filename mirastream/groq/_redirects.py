"""Redirects, followed by the send loop itself and only within the API's own origin.

httpx, asked to follow redirects, strips ``Authorization`` on a cross-origin hop but keeps
every other header (``x-api-key``, any custom credential) and, on 307/308, re-sends the
body (the prompt). A chat API has no reason to send a client elsewhere, so mirastream
sends every request with ``follow_redirects=False`` and decides here: a redirect to the
same origin (scheme, host and port) is followed as the same request (method, headers and
body unchanged); a redirect anywhere else is not followed at all, and nothing is sent
there. Nothing crossing origins means no header list to keep up to date.
"""

from __future__ import annotations

import httpx

__all__ = ["MAX_REDIRECTS", "RedirectRefused", "redirect_target"]

MAX_REDIRECTS = 5
"""Same-origin redirects followed for one attempt before giving up."""


class RedirectRefused(Exception):
    """A redirect that is not followed; its message says why (no URL credentials shown)."""


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    port = url.port or {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, port


def redirect_target(request: httpx.Request, response: httpx.Response, hops: int) -> httpx.Request:
    """The request to send after the redirect ``response``, if it may be followed.

    Args:
        request: The request that was redirected.
        response: The 3xx response (``response.has_redirect_location`` is true).
        hops: Redirects already followed for this attempt.

    Returns:
        ``request`` unchanged but for its URL.

    Raises:
        RedirectRefused: The target is another origin, or too many redirects were followed.
    """
    location = response.headers["location"]
    try:
        url = request.url.join(location)
    except httpx.InvalidURL:
        raise RedirectRefused(
            f"The server redirected ({response.status_code}) to an invalid URL."
        ) from None
    if _origin(url) != _origin(request.url):
        shown = url.copy_with(username=None, password=None, query=None, fragment=None)
        raise RedirectRefused(
            f"The server redirected ({response.status_code}) to another origin, {shown}; it "
            "was not followed, so neither the API key nor the request body went there. If "
            "that is the API's new address, pass it as base_url."
        )
    if hops >= MAX_REDIRECTS:
        raise RedirectRefused(f"More than {MAX_REDIRECTS} redirects; the last to {url.path}.")
    return httpx.Request(
        request.method,
        url,
        headers=request.headers,
        content=request.content,
        extensions=request.extensions,
    )
