"""Queries built by the ORM once per process and then run as plain SQL; URLs likewise.

Building a queryset (``filter``, ``annotate``, compiling) costs milliseconds of
Python per request, tens of times what the database takes to answer the
sidebar's indexed query. A :class:`PreparedValues` builds its queryset once per
shape with stand-in values, finds where they landed in the compiled
parameters, and from then on only swaps in the real values and runs the SQL;
rows pass through the same converters ``values()`` applies, and come back as
the same dicts.
"""

import functools
from datetime import UTC, datetime

from django.db import connections
from django.urls import get_script_prefix, get_urlconf, reverse

# Stand-ins no real query parameter equals: a datetime, ids and a text nobody stores.
_NOW = datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)
_ID_BASE = -7_302_116_000
_KEY = "\x00prepared key\x00"


class PreparedValues:
    """``build(now=, ids=, key=)`` -> a ``values()`` queryset whose SQL depends only on len(ids).

    ``rows(now=..., ids=..., key=...)`` runs it. ``now`` (a datetime) and
    ``key`` (a text, e.g. a slug) may be used in any number of filters; ``ids``
    only as whole lists (``pk__in=ids``, as often as needed). A new shape
    (another length of ``ids``, another database) is built and compiled once.
    """

    def __init__(self, build, *, using="default"):
        self.build = build
        self.using = using
        self._compiled = {}

    def rows(self, *, now=None, ids=None, key=None):
        connection = connections[self.using]
        shape = (
            connection.vendor,
            connection.settings_dict["NAME"],
            None if ids is None else len(ids),
        )
        compiled = self._compiled.get(shape)
        if compiled is None:
            compiled = self._compiled[shape] = self._compile(connection, shape[2])
        sql, params, now_at, ids_at, key_at, names, converters = compiled
        params = list(params)
        if now is not None:
            value = connection.ops.adapt_datetimefield_value(now)
            for index in now_at:
                params[index] = value
        for index, n in ids_at:
            params[index] = ids[n]
        for index in key_at:
            params[index] = key
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        result = []
        for row in rows:
            if converters:
                row = list(row)
                for index, (functions, expression) in converters:
                    value = row[index]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[index] = value
            result.append(dict(zip(names, row, strict=True)))
        return result

    def _compile(self, connection, count):
        stand_in_ids = None if count is None else [_ID_BASE - n for n in range(count)]
        queryset = self.build(now=_NOW, ids=stand_in_ids, key=_KEY).using(self.using)
        query = queryset.query
        compiler = query.get_compiler(using=self.using)
        sql, params = compiler.as_sql()
        now_value = connection.ops.adapt_datetimefield_value(_NOW)
        now_at = [i for i, value in enumerate(params) if value == now_value]
        # (parameter index, index in ids) for every place an id landed: a UNION has two.
        which = {value: n for n, value in enumerate(stand_in_ids or ())}
        ids_at = [
            (i, which[value])
            for i, value in enumerate(params)
            if isinstance(value, int) and value in which
        ]
        key_at = [i for i, value in enumerate(params) if value == _KEY]
        # As ValuesIterable names the columns.
        if query.selected:
            names = list(query.selected)
        else:
            names = [*query.extra_select, *query.values_select, *query.annotation_select]
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = sorted(compiler.get_converters(fields).items())
        return sql, tuple(params), now_at, ids_at, key_at, names, converters


def url_maker(name, stand_in="__value__"):
    """``reverse(name, args=[value])`` for any value, from one ``reverse`` per process.

    For a URL pattern with one argument (a slug or an id): the sidebar and the
    tag lists print a link per row, and ``reverse`` costs tens of microseconds.
    ``stand_in`` must fit the pattern's converter (``0`` for ``<int:...>``).
    Kept per URLconf and script prefix, the two things ``reverse`` reads.
    """
    return _url_maker(name, stand_in, get_urlconf(), get_script_prefix())


@functools.lru_cache(maxsize=256)
def _url_maker(name, stand_in, urlconf, script_prefix):
    prefix, suffix = reverse(name, args=[stand_in], urlconf=urlconf).rsplit(str(stand_in), 1)
    return lambda value: f"{prefix}{value}{suffix}"
