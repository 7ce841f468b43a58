"""The RQ job that turns an image a user sent in chat into their avatar.

The webhook only enqueues (WeChat gives it 5 seconds); this job downloads the image through
the media API (https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Get_temporary_materials.html),
lets store.avatars check and keep it, and tells the user the outcome with a customer-service
message (the user has just written to us, so the 48-hour window is open).
"""
import logging

from bot.wechat_api import WeChatAPIError, get_client
from jobs.runtime import current_settings, job_connection
from store import avatars

log = logging.getLogger(__name__)


def fetch_avatar(company_id: int, user_id: int, openid: str, media_id: str,
                 done: str, failed: str, reasons: dict) -> str:
    """Download `media_id` and make it the user's avatar; returns the outcome
    ("saved" or the refusal reason). `done` / `failed` (with {reason}) are the replies."""
    settings = current_settings()
    client = get_client(settings)
    with job_connection():
        try:
            response = client.media.download(media_id)
            data = response.content if hasattr(response, "content") else b""
            avatars.save_avatar(company_id, user_id, data, settings.MEDIA_DIR)
            outcome, reply = "saved", done
        except WeChatAPIError as error:
            log.warning("avatar download failed for user %s: %s", user_id, error)
            outcome = "download"
            reply = failed.format(reason=reasons.get(outcome, outcome))
        except avatars.BadImage as error:
            outcome = error.reason
            reply = failed.format(reason=reasons.get(outcome, outcome))
    try:
        client.send_text(openid, reply)
    except WeChatAPIError as error:  # the avatar is kept; only the note is lost
        log.warning("could not tell user %s the avatar outcome: %s", user_id, error)
    return outcome
