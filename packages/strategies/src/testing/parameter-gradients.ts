import type { HostTensor, Parameter } from "@tunekit/core";
import { evaluateGraphFloat64 } from "@tunekit/core/ir";
import { grad } from "@tunekit/core/autodiff";
import { type AnyBertModel, traceForward } from "@tunekit/core/models";

/** Result of {@link checkParameterGradients}: the worst absolute error and where. */
export interface ParameterGradientCheck {
  readonly maxError: number;
  readonly worst: string;
  /** Largest |analytic gradient| seen (to show the check was not vacuous). */
  readonly maxGradient: number;
  readonly checked: readonly string[];
}

/**
 * Test support (not exported from the package): compares the autodiff gradient of the
 * model's loss with respect to the selected parameters against central finite differences,
 * both evaluated in float64 by the reference executor. Checks up to `perParameter` elements
 * of each parameter (spread over the tensor).
 */
export function checkParameterGradients(
  model: AnyBertModel,
  batch: Record<string, HostTensor>,
  select: (path: string, p: Parameter) => boolean,
  options: { h?: number; perParameter?: number } = {},
): ParameterGradientCheck {
  const h = options.h ?? 1e-5;
  const per = options.perParameter ?? 5;
  const [b, s] = batch.input_ids!.shape as [number, number];
  const { graph, outputs } = traceForward(model, { batchSize: b, seqLength: s, labels: true });
  const chosen = model.namedParameters().filter(([path, p]) => select(path, p) && graph.params.has(p.name));
  const grads = grad(
    outputs.loss!,
    chosen.map(([, p]) => graph.param(p)),
  );
  grads.forEach((t, i) => {
    graph.output(`grad.${i}`, t);
  });
  const analytic = evaluateGraphFloat64(graph, batch);
  let maxError = 0;
  let maxGradient = 0;
  let worst = "";
  chosen.forEach(([path, p], i) => {
    const a = analytic[`grad.${i}`]!.data;
    const base = Float64Array.from(p.value.data as ArrayLike<number>);
    const n = base.length;
    const idx = [
      ...new Set(Array.from({ length: Math.min(per, n) }, (_, k) => Math.floor((k * n) / Math.min(per, n)))),
    ];
    for (const j of idx) {
      const lossAt = (v: number): number => {
        const data = Float64Array.from(base);
        data[j] = v;
        const feeds = { ...batch, [p.name]: { dtype: "float32" as const, shape: p.value.shape, data } };
        return evaluateGraphFloat64(graph, feeds, ["loss"]).loss!.data[0]!;
      };
      const numeric = (lossAt(base[j]! + h) - lossAt(base[j]! - h)) / (2 * h);
      const err = Math.abs(a[j]! - numeric);
      maxGradient = Math.max(maxGradient, Math.abs(a[j]!));
      if (!(err <= maxError)) {
        maxError = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
        worst = `${path}[${j}]`;
      }
    }
  });
  return { maxError, worst, maxGradient, checked: chosen.map(([path]) => path) };
}
