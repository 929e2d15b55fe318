"""What a client, or whoever else picks up their phone or post, sees of the
practice: a neutral name and a way to get in touch.

The practice's own name may say "therapy"; the sender name the director
chose never does. Pages without a login (the response page, a dead link)
use these, so nothing there reveals more than an envelope would.
"""

import re
from dataclasses import dataclass

from .models import OutreachSettings


@dataclass
class Contact:
    name: str            # neutral sender name, else the practice's name
    phone: str           # for reading, e.g. "01632 960 000"
    tel: str             # for a tel: link, e.g. "+441632960000" or "01632960000"
    how_to_reach: str    # the practice's own "how to reach us" line


def contact_for(practice) -> Contact | None:
    """How to reach `practice`; None where we cannot tell whose link it was.

    A single-practice install (a solo therapist, a small group) always knows:
    any link that reached this server was that practice's.
    """
    from stillhere.accounts.models import Practice

    if practice is None:
        only = list(Practice.objects.all()[:2])
        if len(only) != 1:
            return None
        practice = only[0]
    prefs = OutreachSettings.for_practice(practice)
    phone = prefs.practice_phone.strip()
    from .exposed import neutral_practice_name

    return Contact(name=neutral_practice_name(practice, prefs), phone=phone, tel=tel_href(phone),
                   how_to_reach=prefs.how_to_reach.strip())


def tel_href(phone: str) -> str:
    """Digits (and a leading +) only: what a phone dials from a tel: link."""
    phone = phone.strip()
    digits = re.sub(r"\D", "", phone)
    return ("+" + digits if phone.startswith("+") else digits) if digits else ""


def call_details(client) -> dict | None:
    """The client's number as a tel: link, with what their consent allows:
    a clinician about to call needs to know whether to leave a voicemail."""
    phone = (client.phone or "").strip()
    if not phone:
        return None
    return {"phone": phone, "tel": tel_href(phone), "voicemail": bool(client.consent_voicemail)}
