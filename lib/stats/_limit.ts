/** A comparison operator of an SLA rule. */
export type SlaOp = "<" | "<=" | ">" | ">=";

/** Whether `value op limit` holds, e.g. `meetsLimit(316, "<=", 800)`. */
export function meetsLimit(value: number, op: SlaOp, limit: number): boolean {
  switch (op) {
    case "<":
      return value < limit;
    case "<=":
      return value <= limit;
    case ">":
      return value > limit;
    case ">=":
      return value >= limit;
  }
}
