-- Walks the evaluated assume-role edges (kind 'assume' in effective_permission) from every
-- principal, up to :max_hops, never revisiting a role, and reports the shortest chain that
-- ends at a role with administrator access or an escalation method. A principal that is
-- itself administrator is admin_grant's, so no walk starts there; and no walk goes on from
-- an administrator role: any longer chain through it loses to the chain ending at it (an
-- administrator is picked before an escalation method, then the fewest hops). Without the
-- second cut, estates where administrator roles may assume many roles enumerated every path
-- through them (millions of rows at 1,000 accounts).
WITH RECURSIVE chain (start, node, path, visited, hops, conditional) AS (
    SELECT e.identity_id, e.target, e.identity_name || ' -> ' || COALESCE(r.name, e.target),
           '|' || e.identity_id || '|' || e.target || '|', 1,
           CASE WHEN e.confidence = 'conditional' THEN 1 ELSE 0 END
    FROM v_effective_permissions e LEFT JOIN identity r ON r.id = e.target
    WHERE e.kind = 'assume'
      AND NOT EXISTS (SELECT 1 FROM effective_permission a WHERE a.identity_id = e.identity_id AND a.kind = 'admin')
    UNION ALL
    SELECT c.start, e.target, c.path || ' -> ' || COALESCE(r.name, e.target),
           c.visited || e.target || '|', c.hops + 1,
           CASE WHEN e.confidence = 'conditional' THEN 1 ELSE c.conditional END
    FROM chain c
    JOIN effective_permission e ON e.identity_id = c.node AND e.kind = 'assume'
    LEFT JOIN identity r ON r.id = e.target
    WHERE c.hops < :max_hops AND c.visited NOT LIKE '%|' || e.target || '|%'
      AND NOT EXISTS (SELECT 1 FROM effective_permission a WHERE a.identity_id = c.node AND a.kind = 'admin')
),
reached AS (
    SELECT c.start, c.node, c.path, c.hops, c.conditional,
           CASE WHEN EXISTS (SELECT 1 FROM effective_permission a WHERE a.identity_id = c.node AND a.kind = 'admin')
                THEN 'administrator access' ELSE 'an escalation method' END AS power,
           ROW_NUMBER() OVER (PARTITION BY c.start
                              ORDER BY CASE WHEN EXISTS (SELECT 1 FROM effective_permission a
                                                         WHERE a.identity_id = c.node AND a.kind = 'admin')
                                            THEN 0 ELSE 1 END, c.hops, c.path) AS pick
    FROM chain c
    WHERE EXISTS (SELECT 1 FROM effective_permission t
                  WHERE t.identity_id = c.node AND t.kind IN ('admin', 'escalation'))
)
SELECT i.id AS resource_id, 'identity' AS resource_type, i.provider, i.scope, i.name AS resource_name,
       'Identity ' || i.name || ' reaches ' || x.power || ' in ' || x.hops || ' role assumption(s): '
         || x.path || CASE WHEN x.conditional = 1
                           THEN ' (conditional: a hop depends on conditions nhi cannot decide statically)'
                           ELSE '' END || '.' AS reason,
       x.path AS chain, x.node AS target_role, x.hops,
       CASE WHEN x.conditional = 1 THEN 'conditional' ELSE 'certain' END AS confidence
FROM reached x JOIN v_identities i ON i.id = x.start
WHERE x.pick = 1 AND i.enabled = 1 AND i.is_platform = 0
  AND NOT EXISTS (SELECT 1 FROM effective_permission a WHERE a.identity_id = x.start AND a.kind = 'admin')
