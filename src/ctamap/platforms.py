"""Well-known platforms: social, video, app-store and meeting sites (and the email services'
own sites) that emails link to but that are nobody's first-party domain. With no
`first_party_domains` configured their links stay third-party (untracked), and `ctamap init`
never proposes them."""

from __future__ import annotations

# Registrable domains or hosts; a host is a platform when it or one of its parent domains is
# listed (`m.facebook.com`, `us02web.zoom.us`). docs/configuration.md lists them all (a test
# keeps the two in step). A link to a profile on one of these is a link to someone else's
# site, however often the templates make it; UTM parameters there leak campaign data (T005).
THIRD_PARTY_PLATFORMS: frozenset[str] = frozenset(
    {
        # social networks
        "twitter.com", "x.com", "facebook.com", "fb.com", "fb.me", "instagram.com",
        "linkedin.com", "pinterest.com", "pin.it", "tiktok.com", "snapchat.com", "reddit.com",
        "threads.net", "mastodon.social", "bsky.app", "tumblr.com", "whatsapp.com", "wa.me",
        "telegram.org", "telegram.me", "t.me", "discord.com", "discord.gg", "line.me",
        "vk.com", "weibo.com", "medium.com", "github.com", "dribbble.com", "behance.net",
        "yelp.com", "tripadvisor.com", "trustpilot.com",
        # video and audio
        "youtube.com", "youtu.be", "vimeo.com", "twitch.tv", "dailymotion.com", "spotify.com",
        "soundcloud.com", "podcasts.apple.com",
        # app stores
        "apps.apple.com", "itunes.apple.com", "apple.com", "play.google.com", "google.com",
        "microsoft.com", "apps.microsoft.com", "appgallery.huawei.com", "amazon.com",
        # meetings and calendars
        "zoom.us", "meet.google.com", "teams.microsoft.com", "teams.live.com", "webex.com",
        "calendly.com", "gotomeeting.com", "whereby.com",
        # email services' own sites (their footers and badges)
        "sendgrid.com", "sendgrid.net", "mailchimp.com", "list-manage.com", "mailgun.com",
        "postmarkapp.com", "sendwithus.com", "sparkpost.com", "mailjet.com", "brevo.com",
        "sendinblue.com", "customer.io", "klaviyo.com", "campaign-archive.com",
    }
)  # fmt: skip


def is_platform(domain: str) -> bool:
    """`domain` (a registrable domain or any host) is, or is under, a well-known platform."""
    labels = domain.lower().strip(".").split(".")
    return any(".".join(labels[i:]) in THIRD_PARTY_PLATFORMS for i in range(len(labels) - 1))
