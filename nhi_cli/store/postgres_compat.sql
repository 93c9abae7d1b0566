-- The functions of nhi's SQL dialect (nhi_cli/store/dialect.py) that PostgreSQL lacks, with
-- SQLite's answers, in the inventory's schema. Recreated with the views at every migration run.
-- Dates: ISO-8601 text; without an offset it is UTC, as SQLite reads it; text that is not a date
-- gives NULL. JSON: values read back as SQLite's json_extract gives them (true 1, false 0,
-- strings unquoted, objects and arrays as JSON text).

CREATE OR REPLACE FUNCTION julianday(t text) RETURNS double precision LANGUAGE sql STABLE AS $$
SELECT CASE
  WHEN t = 'now' THEN extract(epoch FROM clock_timestamp())::double precision / 86400.0 + 2440587.5
  WHEN t ~ '^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?)?$'
    THEN extract(epoch FROM (t::timestamp AT TIME ZONE 'UTC'))::double precision / 86400.0 + 2440587.5
  WHEN t ~ '^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d(:?\d\d)?)$'
    THEN extract(epoch FROM t::timestamptz)::double precision / 86400.0 + 2440587.5
END $$;

CREATE OR REPLACE FUNCTION strftime(fmt text, t text) RETURNS text LANGUAGE sql STABLE AS $$
SELECT to_char((CASE WHEN t = 'now' THEN clock_timestamp() ELSE t::timestamptz END) AT TIME ZONE 'UTC',
               replace(replace(replace(replace(replace(replace(replace(replace(fmt, 'T', '"T"'), 'Z', '"Z"'),
                       '%Y', 'YYYY'), '%m', 'MM'), '%d', 'DD'), '%H', 'HH24'), '%M', 'MI'), '%S', 'SS')) $$;

-- CAST(x AS INTEGER) truncates in SQLite (PostgreSQL rounds): the dialect writes nhi_int(x).
CREATE OR REPLACE FUNCTION nhi_int(x double precision) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT trunc(x)::bigint $$;
CREATE OR REPLACE FUNCTION nhi_int(x numeric) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT trunc(x)::bigint $$;
CREATE OR REPLACE FUNCTION nhi_int(x text) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
SELECT COALESCE(substring(x FROM '^\s*([+-]?\d+)')::bigint, 0) $$;

CREATE OR REPLACE FUNCTION nhi_json_path(path text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
SELECT CASE WHEN path = '$' THEN ARRAY[]::text[]
            ELSE string_to_array(regexp_replace(regexp_replace(substr(path, 2), '\[(\d+)\]', '.\1', 'g'), '^\.', ''), '.')
       END $$;

CREATE OR REPLACE FUNCTION nhi_json_scalar(v jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT CASE jsonb_typeof(v) WHEN 'string' THEN v #>> '{}' WHEN 'boolean' THEN CASE WHEN v = 'true'::jsonb THEN '1' ELSE '0' END
                            WHEN 'null' THEN NULL ELSE v::text END $$;

CREATE OR REPLACE FUNCTION nhi_json_type(v jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT CASE jsonb_typeof(v) WHEN 'string' THEN 'text' WHEN 'boolean' THEN v::text
                            WHEN 'number' THEN CASE WHEN v::text ~ '^-?\d+$' THEN 'integer' ELSE 'real' END
                            ELSE jsonb_typeof(v) END $$;

CREATE OR REPLACE FUNCTION json_extract(doc text, path text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT nhi_json_scalar(doc::jsonb #> nhi_json_path(path)) $$;

CREATE OR REPLACE FUNCTION json_array_length(doc text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
SELECT CASE WHEN jsonb_typeof(doc::jsonb) = 'array' THEN jsonb_array_length(doc::jsonb) ELSE 0 END $$;

CREATE OR REPLACE FUNCTION json_each(doc text) RETURNS TABLE (key text, value text, type text)
LANGUAGE sql IMMUTABLE AS $$
SELECT e.key, nhi_json_scalar(e.value), nhi_json_type(e.value)
FROM jsonb_each(CASE WHEN jsonb_typeof(doc::jsonb) = 'object' THEN doc::jsonb ELSE '{}'::jsonb END) e
UNION ALL
SELECT (a.n - 1)::text, nhi_json_scalar(a.v), nhi_json_type(a.v)
FROM jsonb_array_elements(CASE WHEN jsonb_typeof(doc::jsonb) = 'array' THEN doc::jsonb ELSE '[]'::jsonb END)
     WITH ORDINALITY a(v, n) $$;

CREATE OR REPLACE FUNCTION instr(haystack text, needle text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
SELECT strpos(haystack, needle) $$;

-- GLOB: case-sensitive *, ?, [...] and [^...], anchored at both ends.
CREATE OR REPLACE FUNCTION glob(pattern text, value text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
SELECT value ~ ('^' || replace(replace(regexp_replace(pattern, '([.+(){}|\\$^])', '\\\1', 'g'), '*', '.*'), '?', '.')
                || '$') $$;

CREATE OR REPLACE FUNCTION nhi_concat_step(acc text, v text, sep text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v ELSE acc || sep || v END $$;
CREATE OR REPLACE FUNCTION nhi_concat_step(acc text, v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v ELSE acc || ',' || v END $$;
CREATE OR REPLACE AGGREGATE group_concat(text, text) (SFUNC = nhi_concat_step, STYPE = text);
CREATE OR REPLACE AGGREGATE group_concat(text) (SFUNC = nhi_concat_step, STYPE = text);

CREATE OR REPLACE FUNCTION nhi_fingerprint(rule_id text, resource_id text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT encode(sha256(convert_to(rule_id, 'UTF8') || '\x00'::bytea || convert_to(resource_id, 'UTF8')), 'hex') $$;

-- SQLite compares a JSON value read as text with a number (json_extract(attrs, '$.x') = 1).
CREATE OR REPLACE FUNCTION nhi_text_eq_int(a text, b bigint) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT a = b::text $$;
CREATE OR REPLACE FUNCTION nhi_text_ne_int(a text, b bigint) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT a <> b::text $$;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
                 WHERE o.oprname = '=' AND n.nspname = current_schema() AND o.oprleft = 'text'::regtype) THEN
    CREATE OPERATOR = (LEFTARG = text, RIGHTARG = bigint, FUNCTION = nhi_text_eq_int);
    CREATE OPERATOR <> (LEFTARG = text, RIGHTARG = bigint, FUNCTION = nhi_text_ne_int);
  END IF;
END $$;

CREATE OR REPLACE FUNCTION json_type(doc text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT nhi_json_type(doc::jsonb) $$;
CREATE OR REPLACE FUNCTION json_type(doc text, path text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT nhi_json_type(doc::jsonb #> nhi_json_path(path)) $$;

-- group_concat(DISTINCT x) as SQLite builds it: each value once, in the order rows arrive
-- (PostgreSQL's own DISTINCT aggregates sort their input). The dialect writes this name.
CREATE OR REPLACE FUNCTION nhi_concat_distinct_step(acc text[], v text, sep text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
SELECT CASE WHEN v IS NULL OR v = ANY(acc) THEN acc ELSE array_append(acc, v) END $$;
CREATE OR REPLACE FUNCTION nhi_concat_distinct_step(acc text[], v text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
SELECT CASE WHEN v IS NULL OR v = ANY(acc) THEN acc ELSE array_append(acc, v) END $$;
CREATE OR REPLACE FUNCTION nhi_concat_distinct_final(acc text[]) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT CASE WHEN cardinality(acc) = 0 THEN NULL ELSE array_to_string(acc, ',') END $$;
CREATE OR REPLACE AGGREGATE nhi_concat_distinct(text) (SFUNC = nhi_concat_distinct_step, STYPE = text[],
  FINALFUNC = nhi_concat_distinct_final, INITCOND = '{}');

-- SUM(status = 'active'): SQLite's comparisons are 0/1 integers.
CREATE OR REPLACE FUNCTION nhi_sum_bool(acc bigint, v boolean) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
SELECT CASE WHEN v IS NULL THEN acc ELSE COALESCE(acc, 0) + v::int END $$;
CREATE OR REPLACE AGGREGATE sum(boolean) (SFUNC = nhi_sum_bool, STYPE = bigint);
