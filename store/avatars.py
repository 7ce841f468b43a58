"""Avatars: an image a user sent becomes their avatar, kept in our own storage folder.

The bytes come from outside (WeChat's media API), so they are checked before anything
is kept: size, that Pillow reads them as one of the accepted formats, and their pixel
dimensions. The image is then re-encoded (a square JPEG), so what we serve is always
an image we produced, never the bytes we were sent.
"""
import hashlib
import io
import os

from PIL import Image, ImageOps, UnidentifiedImageError

from store.errors import Invalid
from store.models import User

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 8000
FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
SIZE = 256


class BadImage(Invalid):
    """`reason` is one of too_large, not_image, bad_format, too_big."""

    def __init__(self, reason: str):
        super().__init__("图片不能用作头像", {"reason": reason}, code="bad_image")
        self.reason = reason


def avatar_jpeg(data: bytes) -> bytes:
    """The checked image `data` as a SIZE×SIZE JPEG; BadImage otherwise."""
    if len(data) > MAX_BYTES:
        raise BadImage("too_large")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind, (width, height) = probe.format, probe.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise BadImage("not_image") from None
    if kind not in FORMATS:
        raise BadImage("bad_format")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise BadImage("too_big")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            square = ImageOps.fit(image, (SIZE, SIZE))
    except (OSError, ValueError, Image.DecompressionBombError):
        raise BadImage("not_image") from None
    out = io.BytesIO()
    square.save(out, "JPEG", quality=85)
    return out.getvalue()


def save_avatar(company_id: int, user_id: int, data: bytes, media_dir: str) -> str:
    """Check and keep `data` as the user's avatar; return its path under `media_dir`."""
    user = User.scoped(company_id).where(User.id == user_id).first()
    if user is None:
        raise Invalid("用户不存在")
    jpeg = avatar_jpeg(data)
    name = f"avatars/{company_id}/{user_id}-{hashlib.sha256(jpeg).hexdigest()[:16]}.jpg"
    path = os.path.join(media_dir, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = path + ".part"
    with open(partial, "wb") as out:
        out.write(jpeg)
    os.replace(partial, path)  # never a half-written file under the served name
    User.update(avatar=name).where(User.id == user.id, User.company == company_id).execute()
    return name
