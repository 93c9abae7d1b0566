"""The rules engine: rule folders (rule.yaml + rule.sql + tests.yaml) evaluated set-based in SQL
over the documented views, and the findings lifecycle. See README.md in this folder for the
contract rule authors follow."""
