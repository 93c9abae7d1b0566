"""Where findings go beyond reports: AWS Security Hub (ASFF), chat webhooks, Jira issues.

Each workflow reads the inventory through the report model (nhi_cli/reports/model.py), sends,
and returns a result the CLI renders; nothing here prints. SDKs and httpx load inside the
functions that use them, so `nhi --help` stays fast.
"""
