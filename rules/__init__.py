"""The audit rules: one module per rule, each registering its checks with `auditor.engine.rule`."""
