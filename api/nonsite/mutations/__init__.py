"""Non-site mutations, one module each, merged into ``NonsiteMutation``."""

from __future__ import annotations

import strawberry

from api.nonsite.mutations import (
    complaint_close,
    complaint_link,
    complaint_record,
    drone_flight_record,
    hotspot_alert_record,
    lead_convert,
    lead_dismiss,
    meters_register,
    power_alert_advance,
    power_alert_lead_create,
    power_alert_task_create,
    power_usage_scan,
    readings_ingest,
    targeted_tasks_staff,
)


@strawberry.type
class NonsiteMutation:
    register_meters = strawberry.mutation(
        resolver=meters_register.register_meters,
        description="Register or update sub-meters (production line, treatment facility, total).")
    ingest_readings = strawberry.mutation(
        resolver=readings_ingest.ingest_readings,
        description="A batch of meter readings (at most 5,000; bigger files: POST /meters/readings)."
                    " Idempotent on (meter, timestamp).")
    scan_power_usage = strawberry.mutation(
        resolver=power_usage_scan.scan_power_usage,
        description="Scan the meters of a jurisdiction for anomalies over whole UTC days.")
    advance_power_alert = strawberry.mutation(
        resolver=power_alert_advance.advance_power_alert,
        description="Move a power alert on: handle → feedback → verify (evidence and finding) "
                    "→ review (closed). A violation found at verification counts as a case.")
    create_power_alert_task = strawberry.mutation(
        resolver=power_alert_task_create.create_power_alert_task,
        description="A targeted verification task for a power alert's enterprise.")
    staff_targeted_tasks = strawberry.mutation(
        resolver=targeted_tasks_staff.staff_targeted_tasks,
        description="Draw two certified inspectors at random for each unstaffed targeted task of "
                    "an origin (alert:<id>, power:<id>, complaint:<id>, hotspot:<cell>:<date>).")
    record_drone_flight = strawberry.mutation(
        resolver=drone_flight_record.record_drone_flight,
        description="Record a drone flight (GPX or CSV track, geotagged photos): the enterprises "
                    "whose sites it passed and the photos inside them. Idempotent by id.")
    record_complaint = strawberry.mutation(
        resolver=complaint_record.record_complaint,
        description="Record a complaint: a targeted task for its enterprise, or, when none is named, an area task "
                    "at its place. Idempotent by id.")
    link_complaint = strawberry.mutation(
        resolver=complaint_link.link_complaint,
        description="Name the enterprise of a complaint recorded without one (it gets its own targeted task).")
    close_complaint = strawberry.mutation(
        resolver=complaint_close.close_complaint,
        description="Close a complaint as founded (it counts in the enterprise's facts) or not.")
    record_hotspot_alert = strawberry.mutation(
        resolver=hotspot_alert_record.record_hotspot_alert,
        description="A hotspot-grid alert (3 km cell, PM2.5, date) and its grid-level task.")
    create_power_alert_lead = strawberry.mutation(
        resolver=power_alert_lead_create.create_power_alert_lead,
        description="Record a power alert's lead on its enterprise (once per alert).")
    convert_lead = strawberry.mutation(
        resolver=lead_convert.convert_lead,
        description="Turn an open lead into an on-site verification task (the alert's task).")
    dismiss_lead = strawberry.mutation(
        resolver=lead_dismiss.dismiss_lead,
        description="Close an open lead without a visit, with the reason.")
