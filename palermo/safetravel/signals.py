"""Signals other modules may subscribe to.

`travel_alert_created(sender=TravelAlert, alert=<TravelAlert>)` is sent once per alert, after
the transaction that raised it commits. The intake module can turn the alert into a crisis
contact from here (or by providing `palermo.intake.services.contact_open_from_travel_alert`,
which `hotline.py` calls directly when it exists).
"""

from django.dispatch import Signal

travel_alert_created = Signal()
