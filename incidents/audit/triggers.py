"""Database triggers that write and seal the audit log, on SpatiaLite and on PostGIS.

Row triggers on every audited table append an entry with the row's values before and after
(as JSON made by the database itself), so changes made outside the ORM are caught too. A
trigger on the audit table numbers and seals each new entry with SHA-256 over its content
and the previous entry's hash.

Operator personal data (PERSONAL_COLUMNS) is logged as the SHA-256 of its value, never the
value: when retention clears it, the log still proves that a value existed and when it was
removed, without keeping it.

`uninstall()` runs before every `migrate` and `install()` after it (and so after a test
database is built): it recreates the triggers from the tables' current columns, then writes a
"baseline" entry for each row of a table the log has never seen (rows that existed before
the audit log did).
"""

import json

from django.db import connection as default_connection

AUDIT_TABLE = "incidents_auditentry"

# Audited tables and the columns left out of their entries. A password hash has no place
# in a log, and last_login changes on every sign-in (sign-ins are logged as events).
AUDITED_TABLES = {
    "incidents_site": (),
    "incidents_sitemembership": (),
    "incidents_regulatorgrant": (),
    "incidents_regulatorgrant_sites": (),
    "incidents_incident": (),
    "incidents_drone": (),
    "incidents_incidentaction": (),
    "incidents_evidence": (),
    "incidents_timelineentry": (),
    "incidents_incidentmerge": (),
    "incidents_pattern": (),
    "incidents_webhookendpoint": ("secret",),
    # Keys are permissions: who made, scoped and revoked each is evidence. Their use is not.
    "incidents_apikey": ("token_hash", "last_used_at"),
    "incidents_apikey_sites": (),
    "auth_user": ("password", "last_login"),
    "auth_user_groups": (),
    "auth_user_user_permissions": (),
    "auth_group_permissions": (),
}

# Columns holding personal data of drone operators, logged as a SHA-256 hex digest of the
# value (NULL and "" log as null). Geometry is hashed as its text form.
PERSONAL_COLUMNS = {
    "incidents_incident": ("operator_description",),
    "incidents_drone": ("operator_id", "operator_location", "takeoff_location"),
}

# The text each entry's hash covers; AuditEntry.content() builds the same in Python.
_CONTENT_FIELDS = (
    "seq",
    "at",
    "action",
    "table_name",
    "object_pk",
    "old_values",
    "new_values",
    "actor",
    "prev_hash",
)

# SQLite allows 127 arguments per function call: build wide rows' JSON in slices.
_SQLITE_JSON_SLICE = 50


def audited_tables(connection=default_connection):
    """The audited tables present in this database, with their excluded columns."""
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
    return {table: excluded for table, excluded in AUDITED_TABLES.items() if table in existing}


def _columns(connection, table, excluded):
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, table)
    return [column.name for column in description if column.name not in excluded]


# --- SpatiaLite ------------------------------------------------------------------------


def _sqlite_geometry_columns(connection, table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT f_geometry_column FROM geometry_columns WHERE f_table_name = %s",
            [table.lower()],
        )
        return {row[0].lower() for row in cursor.fetchall()}


def sqlite_row_json(connection, table, excluded, alias):
    """SQL for a row of `table` (named `alias`: NEW, OLD or a table alias) as a JSON object."""
    geometry = _sqlite_geometry_columns(connection, table)
    personal = PERSONAL_COLUMNS.get(table, ())
    parts = []
    for name in _columns(connection, table, excluded):
        value = f'{alias}."{name}"'
        if name.lower() in geometry:
            value = f"AsText({value})"
        if name in personal:
            value = f"skyledger_sha256(NULLIF(CAST({value} AS TEXT), ''))"
        parts.append(f"'{name}', {value}")
    slices = [
        "json_object(" + ", ".join(parts[i : i + _SQLITE_JSON_SLICE]) + ")"
        for i in range(0, len(parts), _SQLITE_JSON_SLICE)
    ]
    expression = slices[0]
    for extra in slices[1:]:
        expression = f"json_patch({expression}, {extra})"
    return expression


_SQLITE_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


def _sqlite_statements(connection):
    statements = []
    for table, excluded in audited_tables(connection).items():
        new = sqlite_row_json(connection, table, excluded, "NEW")
        old = sqlite_row_json(connection, table, excluded, "OLD")
        watched = ", ".join(f'"{c}"' for c in _columns(connection, table, excluded))
        insert = (
            f"INSERT INTO {AUDIT_TABLE} "
            "(at, action, table_name, object_pk, old_values, new_values, actor) VALUES "
        )
        statements += [
            f"DROP TRIGGER IF EXISTS audit_insert_{table}",
            f"DROP TRIGGER IF EXISTS audit_update_{table}",
            f"DROP TRIGGER IF EXISTS audit_delete_{table}",
            f'CREATE TRIGGER audit_insert_{table} AFTER INSERT ON "{table}" BEGIN '
            f"{insert}({_SQLITE_NOW}, 'insert', '{table}', CAST(NEW.id AS TEXT), NULL, {new}, "
            "skyledger_actor()); END",
            f'CREATE TRIGGER audit_update_{table} AFTER UPDATE OF {watched} ON "{table}" '
            f"WHEN {old} IS NOT {new} BEGIN "
            f"{insert}({_SQLITE_NOW}, 'update', '{table}', CAST(NEW.id AS TEXT), {old}, {new}, "
            "skyledger_actor()); END",
            f'CREATE TRIGGER audit_delete_{table} AFTER DELETE ON "{table}" BEGIN '
            f"{insert}({_SQLITE_NOW}, 'delete', '{table}', CAST(OLD.id AS TEXT), {old}, NULL, "
            "skyledger_actor()); END",
        ]
    content = " || '|' || ".join(
        f"COALESCE(CAST({field} AS TEXT), '')" for field in _CONTENT_FIELDS
    )
    statements += [
        "DROP TRIGGER IF EXISTS audit_seal",
        f"CREATE TRIGGER audit_seal AFTER INSERT ON {AUDIT_TABLE} BEGIN "
        f"UPDATE {AUDIT_TABLE} SET "
        f"seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM {AUDIT_TABLE}), "
        f"prev_hash = COALESCE((SELECT hash FROM {AUDIT_TABLE} WHERE seq = "
        f"(SELECT MAX(seq) FROM {AUDIT_TABLE})), ''), "
        f"at = CASE WHEN NEW.at = '' THEN {_SQLITE_NOW} ELSE NEW.at END "
        "WHERE id = NEW.id; "
        f"UPDATE {AUDIT_TABLE} SET hash = skyledger_sha256({content}) WHERE id = NEW.id; END",
    ]
    return statements


# --- PostGIS ---------------------------------------------------------------------------

_PG_NOW = "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

_PG_FUNCTIONS = [
    # A row as the log keeps it. Each argument names a column to leave out, or, prefixed
    # with "#", a personal column to replace by the SHA-256 of its value.
    """
CREATE OR REPLACE FUNCTION skyledger_audit_json(row_v jsonb, args text[])
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    arg text;
    col text;
BEGIN
    IF row_v IS NULL THEN RETURN NULL; END IF;
    FOREACH arg IN ARRAY args LOOP
        IF left(arg, 1) = '#' THEN
            col := substr(arg, 2);
            IF row_v ? col THEN
                row_v := jsonb_set(row_v, ARRAY[col], CASE
                    WHEN NULLIF(row_v->>col, '') IS NULL THEN 'null'::jsonb
                    ELSE to_jsonb(encode(sha256(convert_to(row_v->>col, 'UTF8')), 'hex'))
                END);
            END IF;
        ELSE
            row_v := row_v - arg;
        END IF;
    END LOOP;
    RETURN row_v;
END $$
""",
    f"""
CREATE OR REPLACE FUNCTION skyledger_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_v jsonb;
    new_v jsonb;
    args text[] := CASE WHEN TG_NARGS = 0 THEN '{{}}'::text[] ELSE TG_ARGV END;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        old_v := skyledger_audit_json(to_jsonb(OLD), args);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        new_v := skyledger_audit_json(to_jsonb(NEW), args);
    END IF;
    IF TG_OP = 'UPDATE' AND old_v = new_v THEN RETURN NULL; END IF;
    INSERT INTO {AUDIT_TABLE} (at, action, table_name, object_pk, old_values, new_values, actor)
    VALUES ({_PG_NOW}, lower(TG_OP), TG_TABLE_NAME,
            COALESCE(new_v->>'id', old_v->>'id'), old_v::text, new_v::text,
            NULLIF(current_setting('skyledger.actor', true), ''));
    RETURN NULL;
END $$
""",
    f"""
CREATE OR REPLACE FUNCTION skyledger_audit_seal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    -- One writer at a time seals: numbers and hashes follow commit order.
    PERFORM pg_advisory_xact_lock(hashtext('skyledger_audit'));
    SELECT seq, hash INTO last_seq, last_hash FROM {AUDIT_TABLE}
        WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
    NEW.seq := COALESCE(last_seq, 0) + 1;
    NEW.prev_hash := COALESCE(last_hash, '');
    IF NEW.at IS NULL OR NEW.at = '' THEN NEW.at := {_PG_NOW}; END IF;
    NEW.hash := encode(sha256(convert_to(
        {" || '|' || ".join(f"COALESCE(NEW.{f}::text, '')" for f in _CONTENT_FIELDS)},
        'UTF8')), 'hex');
    RETURN NEW;
END $$
""",
    """
CREATE OR REPLACE FUNCTION skyledger_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'The audit log is append-only: entries cannot be changed or removed.';
END $$
""",
]


def _pg_arguments(table, excluded):
    return [*excluded, *(f"#{c}" for c in PERSONAL_COLUMNS.get(table, ()))]


def pg_row_json(table, excluded, alias):
    array = "ARRAY[" + ", ".join(f"'{a}'" for a in _pg_arguments(table, excluded)) + "]::text[]"
    return f"skyledger_audit_json(to_jsonb({alias}), {array})::text"


def _pg_statements(connection):
    statements = list(_PG_FUNCTIONS)
    for table, excluded in audited_tables(connection).items():
        arguments = ", ".join(f"'{a}'" for a in _pg_arguments(table, excluded))
        statements += [
            f'DROP TRIGGER IF EXISTS audit_row ON "{table}"',
            f'CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION skyledger_audit_row({arguments})",
        ]
    statements += [
        f"DROP TRIGGER IF EXISTS audit_seal ON {AUDIT_TABLE}",
        f"CREATE TRIGGER audit_seal BEFORE INSERT ON {AUDIT_TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION skyledger_audit_seal()",
        f"DROP TRIGGER IF EXISTS audit_append_only ON {AUDIT_TABLE}",
        f"CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON {AUDIT_TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION skyledger_audit_append_only()",
    ]
    return statements


def row_json_sql(connection, table, excluded, alias):
    """SQL for a row's JSON exactly as the triggers write it, for `verify`."""
    if connection.vendor == "postgresql":
        return pg_row_json(table, excluded, alias)
    return sqlite_row_json(connection, table, excluded, alias)


def install(connection=default_connection):
    """(Re)create every audit trigger, then baseline rows that have no entry yet."""
    tables = audited_tables(connection)
    if AUDIT_TABLE not in connection.introspection.table_names():
        return
    statements = (
        _pg_statements(connection)
        if connection.vendor == "postgresql"
        else _sqlite_statements(connection)
    )
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        for table, excluded in tables.items():
            # Baseline a table once, when the log first meets it. A row that appears later
            # without an entry was inserted around the triggers: verify reports it, and a
            # later migrate must not make it look legitimate.
            cursor.execute(f"SELECT 1 FROM {AUDIT_TABLE} WHERE table_name = %s LIMIT 1", [table])
            if cursor.fetchone():
                continue
            row = row_json_sql(connection, table, excluded, "t")
            cursor.execute(
                f"INSERT INTO {AUDIT_TABLE} "
                "(at, action, table_name, object_pk, old_values, new_values, actor) "
                f"SELECT '', 'baseline', %s, CAST(t.id AS TEXT), NULL, {row}, NULL "
                f'FROM "{table}" t ORDER BY t.id',
                [table],
            )
        _rebaseline_plain_personal_data(connection, cursor, tables)


def _is_digest(value):
    return value is None or (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )


def _rebaseline_plain_personal_data(connection, cursor, tables):
    """Logs written before personal columns were hashed hold their values in plain text, so
    today's hashed rows would no longer match their newest entry. Write a fresh baseline for
    just those rows; the older entries keep what they held (an append-only log cannot forget)."""
    for table in PERSONAL_COLUMNS.keys() & tables.keys():
        cursor.execute(
            f"SELECT object_pk, new_values FROM {AUDIT_TABLE} "
            "WHERE table_name = %s AND seq IS NOT NULL ORDER BY seq",
            [table],
        )
        latest = dict(cursor.fetchall())
        stale = []
        for pk, values in latest.items():
            if not values:
                continue
            row = json.loads(values)
            if not all(_is_digest(row.get(c)) for c in PERSONAL_COLUMNS[table] if c in row):
                stale.append(int(pk))
        if not stale:
            continue
        row = row_json_sql(connection, table, tables[table], "t")
        for start in range(0, len(stale), 500):
            chunk = stale[start : start + 500]
            cursor.execute(
                f"INSERT INTO {AUDIT_TABLE} "
                "(at, action, table_name, object_pk, old_values, new_values, actor) "
                f"SELECT '', 'baseline', %s, CAST(t.id AS TEXT), NULL, {row}, NULL "
                f'FROM "{table}" t WHERE t.id IN ({", ".join(["%s"] * len(chunk))}) ORDER BY t.id',
                [table, *chunk],
            )


def uninstall(connection=default_connection):
    """Drop every audit trigger (before the audit table itself is dropped)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in audited_tables(connection):
                cursor.execute(f'DROP TRIGGER IF EXISTS audit_row ON "{table}"')
            for function in ("audit_row", "audit_seal", "audit_append_only"):
                cursor.execute(f"DROP FUNCTION IF EXISTS skyledger_{function}() CASCADE")
            cursor.execute("DROP FUNCTION IF EXISTS skyledger_audit_json(jsonb, text[])")
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit_%'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
