"""Signals other apps listen to, so the app where something happens needs to know nothing of who reacts.

Each is sent by the action inside its transaction, after the change is saved; a receiver that wants to act
in the background queues its task with ``core.outbox.enqueue``, in the same transaction (so a rolled-back
change triggers nothing).

- ``case_closed``: a case was closed; ``case`` is the Case.
- ``promise_kept``: a promise to a customer was marked as kept; ``promise`` is the Promise.
- ``clock_changed``: an organization's business clock changed (time zone, holidays, weekly hours, closure or
  working dates); ``organization`` is the Organization, ``time_zone_changed`` says whether its days moved.
"""

from __future__ import annotations

from django.dispatch import Signal

case_closed = Signal()
promise_kept = Signal()
clock_changed = Signal()
