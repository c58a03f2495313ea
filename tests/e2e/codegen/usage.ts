// A client's use of the generated types: compiled with `tsc --noEmit --strict` by tests/e2e/test_codegen.py.
// Each access below must type-check; each `@ts-expect-error` must be an error, so the types are precise (not `any`).
import type {
  CreatePlanMutation,
  CreatePlanMutationVariables,
  DrawPlanMutation,
  MyTasksQuery,
  MyTasksQueryVariables,
  PlanAndDrawQuery,
  PublicPlansQuery,
  TaskStatus,
} from "./operations";
import type { Enterprise, Query } from "./schema";

const open: TaskStatus[] = ["ASSIGNED", "IN_PROGRESS"];
export const myTasksVariables: MyTasksQueryVariables = { first: 50, status: open, since: "2027-01-01" };

// @ts-expect-error: not a status the schema knows
export const wrongStatus: TaskStatus = "DONE";

export function dossierLines(data: MyTasksQuery): string[] {
  return data.myTasks.map((task) => {
    const tier: string = task.enterprise?.credit?.tier ?? "unrated";
    const permit: string = task.enterprise?.permit?.number ?? "no permit";
    const items: number = task.checklist?.items.filter((item) => item.required).length ?? 0;
    const past: number = task.pastInspections.filter((p) => p.result?.outcome !== undefined).length;
    const place: number = task.enterprise?.location?.lat ?? Number.NaN;
    // @ts-expect-error: the enterprise is nullable and must be checked first
    const name: string = task.enterprise.name;
    // @ts-expect-error: not selected by the operation
    const unselected: unknown = task.enterprise?.boundary;
    return [task.taskId, task.status, tier, permit, items, past, place, name, unselected].join(" ");
  });
}

// The whole-schema types: every field, with nullability as served.
export function enterpriseLabel(enterprise: Enterprise): string {
  return `${enterprise.creditCode} ${enterprise.name} v${enterprise.version}`;
}
export type EnterprisesPage = Query["enterprises"];

export function publishedCount(data: PublicPlansQuery): number {
  const drawn: number = data.publishedDraw?.draw.drawnCount ?? 0;
  return data.publishedPlans.length + data.matters.filter((m) => m.keyItem).length + drawn
    + data.publishedResults.length;
}

export function drawSummary(data: PlanAndDrawQuery): string {
  const plan = data.plan;
  if (plan === null || plan === undefined) return "no such plan";
  const quotas: number = plan.strata.reduce((sum, stratum) => sum + stratum.quota, 0);
  const unstaffed: string[] = data.draw?.unstaffed.map((u) => `${u.creditCode}: ${u.reason}`) ?? [];
  return `${plan.name} (${plan.status}) quotas ${quotas}, seed ${data.draw?.seed ?? "not drawn"}; ${unstaffed}`;
}

export const createPlanVariables: CreatePlanMutationVariables = {
  input: {
    name: "西安市2027年第一季度双随机抽查",
    jurisdiction: "610100",
    matters: ["STJ-WRY-01"],
    periodStart: "2027-01-01",
    periodEnd: "2027-03-31",
    ratios: [{ stratum: "general", ratio: 0.3 }],
  },
};

export function planOrErrors(data: CreatePlanMutation): string {
  const payload = data.createPlan;
  if (payload.userErrors.length > 0) {
    return payload.userErrors.map((e) => `${e.field}: ${e.code} ${e.message}`).join("\n");
  }
  return payload.plan?.planId ?? "";
}

export function drawn(data: DrawPlanMutation): number | undefined {
  return data.drawPlan.draw?.drawnCount;
}
