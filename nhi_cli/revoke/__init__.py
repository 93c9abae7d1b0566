"""The emergency kill switch: resolve targets, plan, confirm, execute, verify, record, restore.

workflow.py  RevokeSession: the revoke and restore workflows the CLI drives (policy lives here)
resolve.py   what the operator typed (credential id, identity id or name, --agent) -> inventory rows
plan.py      ordered steps per target from the owning connector, blast radius, restore plans
planfile.py  signed plan files bound to an inventory, a scan, an expiry and one use; re-checked
execute.py   run the steps (targets concurrently with a bound, steps of one target in order)
record.py    writing an attempt to the log: before and after each step
log.py       the revocation log: its own SQLite file, an append-only chain of MACed entries
keys.py      the revoke key (a 0600 file beside the inventory no SQL can read) and file names
operator.py  who acted (and where the name came from), and the cloud principal of the calls
context.py   the connector and its context, built from nhi.yaml the same way a scan builds them
"""
