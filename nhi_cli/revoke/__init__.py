"""The emergency kill switch: resolve targets, plan, confirm, execute, verify, record, restore.

resolve.py  what the operator typed (credential id, identity id or name, --agent) -> inventory rows
plan.py     ordered steps per target from the owning connector, blast radius, plan files
execute.py  run the steps (targets concurrently with a bound, steps of one target in order)
record.py   the revocation log in the inventory (every attempt, dry runs included)
context.py  the connector and its context, built from nhi.yaml the same way a scan builds them
"""
