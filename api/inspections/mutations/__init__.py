"""Plan mutations, one module each (shared inputs and payloads beside them), merged into ``InspectionMutation``."""

from __future__ import annotations

import strawberry

from api.inspections.mutations import (
    plan_cancel,
    plan_create,
    plan_draw,
    plan_freeze,
    plan_publish,
    plan_redraw,
    plan_update,
    redraw_complete,
    redraw_file,
    results,
)


@strawberry.type
class InspectionMutation:
    create_plan = strawberry.mutation(
        resolver=plan_create.create_plan, description="Create a draft random-check plan (抽查计划).")
    update_plan = strawberry.mutation(
        resolver=plan_update.update_plan, description="Edit a draft plan; refused once frozen.")
    freeze_plan = strawberry.mutation(
        resolver=plan_freeze.freeze_plan,
        description="Commit the population, exclusions, strata, inspector pool and inspection date, announce the "
                    "public value, and publish the commitment.")
    draw_plan = strawberry.mutation(
        resolver=plan_draw.draw_plan,
        description="Draw objects, then inspectors, and create the tasks. Once per plan.")
    redraw = strawberry.mutation(
        resolver=plan_redraw.redraw,
        description="Protocol 1 plans: replace a task's inspector or object with a new, logged, verifiable draw.")
    file_redraw = strawberry.mutation(
        resolver=redraw_file.file_redraw,
        description="Protocol 2: file a replacement of a task's inspector or object; the server numbers it and "
                    "announces the public value that will draw it.")
    complete_redraw = strawberry.mutation(
        resolver=redraw_complete.complete_redraw,
        description="Protocol 2: complete the plan's filed replacement with its announced public value.")
    record_task_result = strawberry.mutation(
        resolver=results.record_task_result,
        description="Record the result of a random check; starts its publication deadline.")
    publish_results = strawberry.mutation(
        resolver=results.publish_results,
        description="Publish every recorded, unpublished result of a plan (一公开).")
    publish_plan = strawberry.mutation(
        resolver=plan_publish.publish_plan,
        description="Publish a plan's draw (一公开) with its verification document.")
    cancel_plan = strawberry.mutation(
        resolver=plan_cancel.cancel_plan,
        description="Cancel a frozen plan, or a drawn one on which no work has started, with a reason; the plan "
                    "stays public with its commitment and the reason, and a drawn plan's draw is published.")
