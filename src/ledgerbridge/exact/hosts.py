"""Exact Online hosts per country.

OAuth and REST calls go to the host of the country where the customer's Exact
account lives; a token from one host is not valid on another. A custom base URL
(the sandbox, or a test proxy) overrides the region.
"""

from __future__ import annotations

HOSTS: dict[str, str] = {
    "nl": "https://start.exactonline.nl",
    "be": "https://start.exactonline.be",
    "de": "https://start.exactonline.de",
    "uk": "https://start.exactonline.co.uk",
    "us": "https://start.exactonline.com",
    "fr": "https://start.exactonline.fr",
    "es": "https://start.exactonline.es",
}


def base_url_for(region: str, custom_base_url: str | None) -> str:
    """The base URL (no trailing slash) for ``region``, or ``custom_base_url`` when given.

    Raises ``ValueError`` for an unknown region without a custom URL.
    """
    if custom_base_url:
        return custom_base_url.rstrip("/")
    try:
        return HOSTS[region.strip().lower()]
    except KeyError:
        known = ", ".join(sorted(HOSTS))
        raise ValueError(f"unknown Exact Online region {region!r} (known: {known})") from None
