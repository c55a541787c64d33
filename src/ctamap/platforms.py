"""Well-known platforms: social, video, app-store and meeting sites that emails link to but
that are nobody's first-party domain (`ctamap init` never proposes them)."""

from __future__ import annotations

# Registrable domains (as `classify.registrable_domain` returns them). A link to a profile on
# one of these is a link to someone else's site, however often the templates make it.
PLATFORMS = frozenset(
    {
        # social networks
        "twitter.com", "x.com", "facebook.com", "fb.com", "fb.me", "instagram.com",
        "linkedin.com", "pinterest.com", "tiktok.com", "snapchat.com", "reddit.com",
        "threads.net", "mastodon.social", "bsky.app", "tumblr.com", "whatsapp.com", "wa.me",
        "telegram.org", "t.me", "discord.com", "discord.gg", "medium.com", "github.com",
        "dribbble.com", "behance.net", "yelp.com", "tripadvisor.com", "trustpilot.com",
        # video and audio
        "youtube.com", "youtu.be", "vimeo.com", "twitch.tv", "spotify.com", "soundcloud.com",
        "podcasts.apple.com",
        # app stores
        "apps.apple.com", "itunes.apple.com", "apple.com", "play.google.com", "google.com",
        "microsoft.com", "amazon.com",
        # meetings and calendars
        "zoom.us", "meet.google.com", "teams.microsoft.com", "webex.com", "calendly.com",
        "gotomeeting.com",
        # email services' own sites (their footers and badges)
        "sendgrid.com", "sendgrid.net", "mailchimp.com", "list-manage.com", "mailgun.com",
        "postmarkapp.com", "sendwithus.com", "sparkpost.com", "mailjet.com", "brevo.com",
        "sendinblue.com", "customer.io", "klaviyo.com", "campaign-archive.com",
    }
)  # fmt: skip


def is_platform(domain: str) -> bool:
    """`domain` (a registrable domain or any host) is, or is under, a well-known platform."""
    labels = domain.lower().strip(".").split(".")
    return any(".".join(labels[i:]) in PLATFORMS for i in range(len(labels) - 1))
