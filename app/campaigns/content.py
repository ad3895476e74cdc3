"""Content rules for influencer posts: sponsorship disclosure and live-post URLs per platform.

Disclosure (one documented list per platform). A caption discloses the sponsorship when it
contains, case-insensitively, one of the common markers or its platform's own label:

    every platform   #ad, #sponsored, "Paid partnership"
    instagram        "Paid partnership with"      (Instagram's branded-content label)
    tiktok           "Paid partnership", #PaidPartnership  (TikTok's content disclosure label)
    youtube          "Includes paid promotion"    (YouTube's paid-promotion label)
    x                #ad, #sponsored              (X's paid-partnership policy)
    linkedin         "Sponsored", #sponsored      (LinkedIn's brand-partnership label)
    twitch           "Sponsored", #sponsored      (Twitch's branded-content label)
    pinterest        "Paid partnership"           (Pinterest's paid-partnership tool)

Hashtags must stand alone (#ad matches "#ad" and "#AD," but not "#adventure"); phrases match
on word boundaries. Live post URLs must be https and on the offer's platform's domain.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from app.errors import ValidationFailed
from app.offers.models import Platform

COMMON_DISCLOSURES: tuple[str, ...] = ("#ad", "#sponsored", "paid partnership")
PLATFORM_DISCLOSURES: dict[Platform, tuple[str, ...]] = {
    Platform.INSTAGRAM: ("paid partnership with",),
    Platform.TIKTOK: ("paid partnership", "#paidpartnership"),
    Platform.YOUTUBE: ("includes paid promotion",),
    Platform.X: ("#ad", "#sponsored"),
    Platform.LINKEDIN: ("sponsored", "#sponsored"),
    Platform.TWITCH: ("sponsored", "#sponsored"),
    Platform.PINTEREST: ("paid partnership",),
}
PLATFORM_DOMAINS: dict[Platform, tuple[str, ...]] = {
    Platform.INSTAGRAM: ("instagram.com",),
    Platform.TIKTOK: ("tiktok.com",),
    Platform.YOUTUBE: ("youtube.com", "youtu.be"),
    Platform.X: ("x.com", "twitter.com"),
    Platform.LINKEDIN: ("linkedin.com",),
    Platform.TWITCH: ("twitch.tv",),
    Platform.PINTEREST: ("pinterest.com", "pin.it"),
}
MAX_URL = 500


def disclosures_for(platform: Platform | str) -> tuple[str, ...]:
    return COMMON_DISCLOSURES + PLATFORM_DISCLOSURES.get(Platform(platform), ())


def _pattern(marker: str) -> re.Pattern[str]:
    # (?<![\w#]) and (?!\w): the marker is a whole hashtag/phrase, not part of a longer word.
    return re.compile(r"(?<![\w#])" + re.escape(marker) + r"(?!\w)", re.IGNORECASE)


def has_disclosure(caption: str, platform: Platform | str) -> bool:
    return any(_pattern(marker).search(caption or "") for marker in disclosures_for(platform))


def require_disclosure(caption: str, platform: Platform | str) -> None:
    """Raise ValidationFailed (field ``caption``) when the caption carries no disclosure."""
    if not has_disclosure(caption, platform):
        shown = ", ".join(f"“{m}”" for m in disclosures_for(platform))
        raise ValidationFailed(
            {"caption": [f"The caption must disclose the sponsorship: add one of {shown}."]}
        )


def normalized(caption: str | None) -> str:
    """Captions compare equal when they differ only in surrounding or repeated whitespace."""
    return " ".join((caption or "").split())


def check_post_url(url: str, platform: Platform | str) -> str:
    """The stripped URL if it is an https link to a post on ``platform``; else ValidationFailed."""
    url = (url or "").strip()
    domains = PLATFORM_DOMAINS[Platform(platform)]
    error = ValidationFailed(
        {"post_url": [f"Give the https link of the live post on {' or '.join(domains)}."]}
    )
    if not url or len(url) > MAX_URL or any(c.isspace() for c in url):
        raise error
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise error from exc
    host = (parts.hostname or "").lower().rstrip(".")
    on_platform = any(host == d or host.endswith("." + d) for d in domains)
    if parts.scheme != "https" or parts.username or parts.password or port not in (None, 443):
        raise error
    if not on_platform or parts.path in ("", "/"):
        raise error
    return url
