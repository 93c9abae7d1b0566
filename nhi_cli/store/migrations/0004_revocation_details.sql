-- 0004: what a revocation needs beyond 0001's columns, so the log is self-contained and
-- `nhi restore` needs nothing but the log: the plan as executed (targets resolved, blast
-- radius, options), whether it ran against the demo fakes, and per step what execute was
-- given (params) and what a person read in the plan (description).
ALTER TABLE revocation ADD COLUMN plan TEXT;                          -- JSON of the plan
ALTER TABLE revocation ADD COLUMN demo INTEGER NOT NULL DEFAULT 0;
ALTER TABLE revocation_step ADD COLUMN target_name TEXT;
ALTER TABLE revocation_step ADD COLUMN description TEXT;
ALTER TABLE revocation_step ADD COLUMN params TEXT;                   -- JSON: what execute was given
