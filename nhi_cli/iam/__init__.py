"""IAM policy semantics shared by connectors and rules: evaluation, conditions, escalation paths."""
