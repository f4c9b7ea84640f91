"""Phone numbers for text messages: parsed with the ``phonenumbers`` library (Google's
libphonenumber metadata) and written in E.164 (``+13125550142``), the form SMS providers
take. A number without a country code is read in ``settings.PHONE_REGION`` (default US)."""

from __future__ import annotations

import phonenumbers
from django.conf import settings


def phone_e164(text: str, region: str | None = None) -> str | None:
    """``text`` as an E.164 number, or None when it is not a valid phone number."""
    try:
        number = phonenumbers.parse(text, region or settings.PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
