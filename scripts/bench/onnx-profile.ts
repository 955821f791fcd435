/**
 * The profile fields of an ONNX bench line (`--profile`): the op types that dominate the timed
 * steps and the single nodes that do, with their output shapes, from onnxruntime's profiler.
 */
import { readFileSync } from "node:fs";
import { type OnnxBackend, readOnnxProfile } from "@tunekit/backend-onnx";

interface NodeEvent {
  readonly cat?: string;
  readonly name?: string;
  readonly dur?: number;
  readonly args?: {
    readonly op_name?: string;
    readonly output_type_shape?: readonly Record<string, number[]>[];
  };
}

/** Ends profiling and summarises the runs after the first `skipRuns` (compile and warm-up). */
export async function profileFields(
  backend: OnnxBackend,
  skipRuns: number,
): Promise<Record<string, unknown>> {
  const [file] = await backend.endProfiling();
  if (!file) return { profile: "no profile written" };
  const s = readOnnxProfile(file, { skipRuns });
  const runs = Math.max(1, s.runs);
  const ms = (micros: number): number => +(micros / runs / 1000).toFixed(2);
  // Per node: the same runs as the summary (the last `runs` of each node's events).
  const events = (JSON.parse(readFileSync(file, "utf8")) as NodeEvent[]).filter(
    (e) => e.cat === "Node" && e.name?.endsWith("_kernel_time"),
  );
  const byNode = new Map<string, { op: string; shape: string; durs: number[] }>();
  for (const e of events) {
    const entry = byNode.get(e.name!) ?? {
      op: e.args?.op_name ?? "?",
      shape: (e.args?.output_type_shape ?? []).map((o) => JSON.stringify(Object.values(o)[0])).join(" "),
      durs: [],
    };
    entry.durs.push(e.dur ?? 0);
    byNode.set(e.name!, entry);
  }
  const nodes = [...byNode.entries()]
    .map(([name, n]) => ({ name, ...n, micros: n.durs.slice(-runs).reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.micros - a.micros)
    .slice(0, 8);
  return {
    kernel_ms_per_step: ms(s.totalMicros),
    top_ops: s.byOpType
      .slice(0, 8)
      .map((r) => ({ op: r.opType, ms_per_step: ms(r.micros), share: +r.share.toFixed(3) })),
    top_nodes: nodes.map((n) => ({
      node: n.name.replace(/_kernel_time$/, ""),
      op: n.op,
      out: n.shape,
      ms_per_step: ms(n.micros),
      share: +(n.micros / Math.max(1, s.totalMicros)).toFixed(3),
    })),
  };
}
