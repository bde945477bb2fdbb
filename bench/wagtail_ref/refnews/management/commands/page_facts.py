"""manage.py page_facts PATH: one in-process GET of PATH; status, bytes, SQL queries (JSON)."""

import json

from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


class Command(BaseCommand):
    help = "Render one page in process; print its status, size and number of queries."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        client = Client(HTTP_HOST="127.0.0.1")
        client.get(path)  # templates compiled, site root paths cached, as a warm worker has them
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        found = {
            "status": response.status_code,
            "bytes": len(response.content),
            "queries": len(queries.captured_queries),
            "sidebar_items": response.content.count(b'class="sidebar-item"'),
        }
        self.stdout.write(json.dumps(found))
