"""mes_bridge: the protocol side of the MES interface, free of Flask, SQLAlchemy and Celery.

- lifecycle: WorkOrderState, EventKind, `transition` (the one place transitions are checked),
  `apply_event`, B2MML RequestState and OPC UA job-state names.
- model: the plain data exchanged (WorkOrder, Operation, Event, PayloadFormat).
- payloads.render: a work order as JSON, B2MML V0701 ProcessOperationsSchedule or V0600
  ProcessProductionSchedule, XML validated against the official XSDs (PayloadInvalid otherwise);
  JSON-Schema dicts for the OpenAPI spec.
- events_in.receive_events / parse_events: signed status events (JSON or SyncOperationsPerformance).
- intake.fold: apply an event to a work order's progress, in sequence, never regressing.
- signing: Standard Webhooks HMAC-SHA256 signatures.
- delivery: one push over HTTP and the pure retry / reject / dead-letter policy.
- simulator (+ sim_*): the reference MES behind `c2m mes-sim`.

The Business To Manufacturing Markup Language (B2MML) is used courtesy of MESA International.
"""
