/** Comparison operators of SLA rules. */
export type LimitOp = "<" | "<=" | ">" | ">=";

/** Whether `value op limit` holds, e.g. `meetsLimit(316, "<=", 800)`. */
export function meetsLimit(value: number, op: LimitOp, limit: number): boolean {
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
