"""Signals of our own, sent by services (not by whichever model was saved last).

``public_content_changed`` says "what a public page may show has changed";
the top layer (``newsroom/apps.py``) connects it to the page cache. Bulk
writes (``bulk_update``, ``QuerySet.update``) send no model signal, so every
service that changes public rows sends this one after writing.
"""

from django.dispatch import Signal

public_content_changed = Signal()
