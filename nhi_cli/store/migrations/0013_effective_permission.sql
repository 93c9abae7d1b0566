-- 0013: what AWS principals can effectively do (issue 13), computed by nhi_cli/iam after each
-- load from the stored grants, boundaries and trusts: administrator access, escalation methods
-- and assume-role edges, after explicit Denies, NotAction/NotResource, boundaries and what
-- conditions decide statically. Rules read v_effective_permissions (views.sql); assume-role
-- chains are a recursive query over its 'assume' rows. Permissions-boundary statements are
-- stored as grant rows with source_type 'boundary' for the evaluator; v_grants leaves them out.
CREATE TABLE effective_permission (
    id          INTEGER PRIMARY KEY,
    identity_id TEXT NOT NULL,                       -- the principal
    provider    TEXT NOT NULL,
    scope       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('admin', 'escalation', 'assume')),
    method      TEXT NOT NULL DEFAULT '',            -- escalation method id (escalation_methods.yaml)
    family      TEXT NOT NULL DEFAULT '',            -- iam-write, passrole, modify-compute, remote-command
    target      TEXT NOT NULL DEFAULT '',            -- what the method acts on / the role assumed
    targets     INTEGER NOT NULL DEFAULT 0,          -- how many targets in all
    actions     TEXT NOT NULL DEFAULT '',            -- the enabling actions, comma-separated
    statements  TEXT NOT NULL DEFAULT '',            -- the statements they come from
    confidence  TEXT NOT NULL DEFAULT 'certain' CHECK (confidence IN ('certain', 'conditional')),
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX effective_permission_identity ON effective_permission (identity_id, kind);
CREATE INDEX effective_permission_assume ON effective_permission (identity_id, target) WHERE kind = 'assume';
-- v_effective_permissions, and v_grants leaving out permissions-boundary rows, are in ../views.sql.
