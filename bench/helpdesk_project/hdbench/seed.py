"""Set-up and bulk data of the django-helpdesk side of bench/cases_vs_helpdesk.py (runs in the helpdesk venv).

python -m hdbench.seed setup PASSWORD       -> prints JSON {"queue_ids": [...], "token": ..., "username": ...}
python -m hdbench.seed tickets N SEED       -> bulk-inserts N tickets spread over a year, prints JSON {"tickets": N}
"""

import json
import os
import random
import sys
import uuid
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdbench.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.utils import timezone  # noqa: E402
from helpdesk.models import Queue, Ticket  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

QUEUES = ["Deliveries", "Billing", "Returns", "Store service", "Website"]
USERNAME = "agent@bench.test"


def setup(password: str) -> dict:
    User = get_user_model()
    staff = User.objects.create_user(
        USERNAME, email=USERNAME, password=password, first_name="Bench", last_name="Agent", is_staff=True
    )
    for n in range(1, 6):  # colleagues tickets get assigned to
        User.objects.create_user(f"agent{n}@bench.test", email=f"agent{n}@bench.test", is_staff=True)
    queues = [
        Queue.objects.create(title=title, slug=title.lower().replace(" ", "-"), allow_public_submission=True)
        for title in QUEUES
    ]
    token = Token.objects.create(user=staff)
    return {"queue_ids": [q.pk for q in queues], "token": token.key, "username": USERNAME}


def tickets(count: int, seed: int) -> dict:
    rng = random.Random(seed)
    queues = list(Queue.objects.values_list("pk", flat=True))
    agents = list(get_user_model().objects.filter(is_staff=True).values_list("pk", flat=True))
    now = timezone.now()
    batch: list[Ticket] = []
    made = 0
    for i in range(count):
        age = timedelta(seconds=rng.randrange(365 * 24 * 3600))
        created = now - age
        # older tickets are mostly resolved or closed, the last weeks mostly open (as in servicecycle's data)
        open_share = 0.9 if age < timedelta(days=14) else 0.08
        if rng.random() < open_share:
            status = rng.choice([Ticket.OPEN_STATUS] * 9 + [Ticket.REOPENED_STATUS])
        else:
            status = rng.choice([Ticket.RESOLVED_STATUS, Ticket.CLOSED_STATUS, Ticket.CLOSED_STATUS])
        batch.append(
            Ticket(
                title=f"Order {100000 + i}: parcel arrived damaged",
                created=created,
                modified=created + timedelta(hours=rng.randrange(1, 200)),
                submitter_email=f"customer{rng.randrange(20000)}@example.test",
                status=status,
                on_hold=False,
                description="The box was crushed and two plates inside were broken. I would like a replacement.",
                resolution="",
                priority=rng.choice([1, 2, 3, 3, 3, 4, 5]),
                assigned_to_id=rng.choice(agents) if rng.random() < 0.7 else None,
                queue_id=rng.choice(queues),
                secret_key=str(uuid.UUID(int=rng.getrandbits(128)))[:36],
            )
        )
        if len(batch) == 5000:
            Ticket.objects.bulk_create(batch)
            made += len(batch)
            batch = []
    if batch:
        Ticket.objects.bulk_create(batch)
        made += len(batch)
    from django.db import connection

    with connection.cursor() as cursor:  # as autovacuum would after an import
        cursor.execute("VACUUM ANALYZE helpdesk_ticket")
    return {"tickets": made}


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "setup":
        result = setup(sys.argv[2])
    elif command == "tickets":
        result = tickets(int(sys.argv[2]), int(sys.argv[3]))
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result))
