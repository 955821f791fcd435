/**
 * `@tunekit/core/io`: files, formats and the Hugging Face Hub.
 *
 * safetensors reading and writing, PyTorch checkpoints (`pytorch_model.bin`, read without running
 * code: a restricted unpickler and a zip reader), model folders of any weight layout, bounded and
 * atomic file helpers, and the Hugging Face Hub client (model references, cache, downloads).
 *
 * @example
 * ```ts
 * import { readSafetensorsHeader, resolveModel } from "@tunekit/core/io";
 *
 * const folder = await resolveModel("prajjwal1/bert-tiny");
 * ```
 *
 * @packageDocumentation
 */

export type {
  DownloadedModel,
  DownloadModelOptions,
  HubDownloadOptions,
  HubErrorCode,
  HubFileResult,
  HubModelRef,
  HubProgress,
  HubSettings,
  ResolveModelOptions,
} from "../hub/index.js";
export {
  cachedSnapshot,
  downloadModel,
  formatModelRef,
  HF_DEFAULT_ENDPOINT,
  HUB_TOKENIZER_FILES,
  HUB_WEIGHT_FILES,
  HubError,
  hubFile,
  hubFileUrl,
  hubReferenceOf,
  HubRepoCache,
  looksLikePath,
  parseModelRef,
  repoFolderName,
  resolveHubSettings,
  resolveModel,
  withNoLocalFolder,
} from "../hub/index.js";
export type {
  ModelWeights,
  PickleGlobal,
  ReadJsonFileOptions,
  ReadSafetensorsOptions,
  ReadTorchCheckpointOptions,
  ReadZipOptions,
  SafetensorsContents,
  SafetensorsDType,
  SafetensorsEntry,
  SafetensorsHeader,
  StorageDType,
  TorchCheckpointContents,
  TorchStorage,
  TorchTensorRef,
  UnpickleOptions,
  WriteSafetensorsOptions,
  ZipArchive,
  ZipEntry,
} from "../io/index.js";
export {
  describePickled,
  looksLikeZip,
  materializeTensor,
  MODEL_WEIGHT_FILES,
  PICKLE_OPCODE_NAMES,
  PickleDict,
  PickleTuple,
  READ_FILE_MAX_BYTES,
  readJsonFile,
  readJsonFileText,
  readModelWeights,
  readRegularFile,
  readSafetensors,
  readSafetensorsFile,
  readSafetensorsHeader,
  readTorchCheckpoint,
  readTorchCheckpointFile,
  readZip,
  SAFETENSORS_MAX_HEADER_BYTES,
  STORAGE_ELEMENT_BYTES,
  unpickle,
  writeFileAtomic,
  writeSafetensors,
  writeSafetensorsFile,
} from "../io/index.js";
