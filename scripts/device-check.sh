#!/usr/bin/env bash
# Runs the ONNX backend's PyTorch parity suite and the training bench on whatever accelerator
# this machine has, and prints one JSON line per case (parity test or bench line), each tagged
# with the execution providers asked for, the providers in use and the device.
#
#   scripts/device-check.sh                # on a GPU (nvidia-smi sees one): a cuda pass, then a webgpu
#                                          # pass (parameters kept on the device); else cpu
#   TUNEKIT_ONNX_PROVIDERS=webgpu scripts/device-check.sh   # needs a Vulkan loader (libvulkan1) and driver:
#                                                          # the GPU's (NVIDIA: VK_DRIVER_FILES=<its ICD json>)
#                                                          # or Mesa's lavapipe (scripts/install-lavapipe.sh)
#   DEVICE_CHECK_BENCH="--modes=full,lora --steps=5" scripts/device-check.sh
#   DEVICE_CHECK_SKIP=bench scripts/device-check.sh   # parity only (or =parity: bench only)
#
# The backend reads TUNEKIT_ONNX_PROVIDERS as its default providers, so the unchanged parity
# tests and bench cases run on the accelerator; a provider that cannot start falls back to the
# CPU with a message, and the `providers_in_use` field shows what actually ran.
# Exit status: non-zero when a parity case fails or a bench case errors.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ -z "${TUNEKIT_ONNX_PROVIDERS:-}" ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    # Both GPU routes, one pass each: CUDA (state crosses to the host every step) and WebGPU
    # (state stays on the device); a pass whose provider cannot start says so in providers_in_use.
    rc=0
    for providers in cuda webgpu; do TUNEKIT_ONNX_PROVIDERS="$providers" bash "$0" || rc=1; done
    exit "$rc"
  fi
  TUNEKIT_ONNX_PROVIDERS=cpu
fi
export TUNEKIT_ONNX_PROVIDERS
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  DEVICE="$(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | head -n 1)"
else
  DEVICE="$(grep -m 1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //') ($(nproc) cpus)"
fi
export DEVICE
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Vulkan's window-system code complains on stderr when this is unset (headless machines).
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$work}"
status=0

# The providers the backend really uses here (after any fallback), once.
IN_USE="$(npx tsx --conditions=@tunekit/source -e '
import("@tunekit/backend-onnx").then(async (m) => {
  const b = await m.createOnnxBackend({ log: (s) => process.stderr.write(s + "\n") });
  console.log(b.executionProviders.join(","));
  b.dispose();
});' 2>"$work/providers.log")"
export IN_USE
sed 's/^/device-check: /' "$work/providers.log" >&2

tag() {
  # stdin: JSON lines; stdout: the same lines with the run's tags first.
  node -e '
    const tags = { providers: process.env.TUNEKIT_ONNX_PROVIDERS, providers_in_use: process.env.IN_USE, device: process.env.DEVICE };
    let buf = "";
    process.stdin.on("data", (d) => (buf += d)).on("end", () => {
      for (const line of buf.split("\n")) {
        if (!line.startsWith("{")) continue;
        console.log(JSON.stringify({ ...tags, ...JSON.parse(line) }));
      }
    });'
}

if [ "${DEVICE_CHECK_SKIP:-}" != "parity" ]; then
  # device-resident.test.ts: parameters and optimizer state kept on the device (WebGPU); where WebGPU cannot
  # start it checks the CPU fallback instead.
  npx vitest run packages/backend-onnx/src/parity.parity.test.ts packages/backend-onnx/src/parity-shapes.parity.test.ts \
    packages/backend-onnx/src/device-resident.test.ts \
    --reporter=json --outputFile="$work/parity.json" >"$work/parity.log" 2>&1 || status=1
  if [ -s "$work/parity.json" ]; then
    node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      for (const f of r.testResults) for (const t of f.assertionResults) {
        console.log(JSON.stringify({ check: "parity", case: t.fullName.split(process.cwd() + "/").join("").replace(/\S*\/shared\//g, "../shared/"), status: t.status, ms: Math.round(t.duration ?? 0),
          ...(t.failureMessages?.length ? { failure: t.failureMessages[0].split("\n")[0].slice(0, 300) } : {}) }));
      }' "$work/parity.json" | tag
  else
    echo "{\"check\":\"parity\",\"error\":\"vitest wrote no report; see the log tail\",\"log\":$(tail -c 600 "$work/parity.log" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify(s)))')}" | tag
    status=1
  fi
fi

if [ "${DEVICE_CHECK_SKIP:-}" != "bench" ]; then
  # shellcheck disable=SC2086 # DEVICE_CHECK_BENCH is a list of flags
  npm run --silent bench -- --backends=onnx --no-peer --no-fwd ${DEVICE_CHECK_BENCH:-} 2>"$work/bench.log" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const l of s.split("\n")) if(l.startsWith("{")) console.log(JSON.stringify({check:"bench",...JSON.parse(l)}))})' \
    | tag | tee "$work/bench.jsonl"
  if grep -q '"error"' "$work/bench.jsonl" || [ ! -s "$work/bench.jsonl" ]; then status=1; fi
fi
exit "$status"
