"""The `nianbao` command (click): the one place that wires crawler, pipelines, archive and farm."""
