export type {
  BertConfig,
  BertHiddenAct,
  ClassificationProblemType,
} from "./hf-config.js";
export { BERT_HIDDEN_ACTS, bertConfigToJson, parseBertConfig, readBertConfig } from "./hf-config.js";
export type { EncoderModelType } from "./encoder-config.js";
export {
  bertKeysToDistilbert,
  distilbertToBertKeys,
  ENCODER_MODEL_TYPES,
  encoderClassStem,
  encoderPrefix,
  isEncoderConfigJson,
} from "./encoder-config.js";
export type {
  ReadSafetensorsOptions,
  SafetensorsContents,
  SafetensorsDType,
  SafetensorsEntry,
  SafetensorsHeader,
} from "./safetensors.js";
export { readSafetensors, readSafetensorsHeader, SAFETENSORS_MAX_HEADER_BYTES } from "./safetensors.js";
export type { WriteSafetensorsOptions } from "./safetensors-write.js";
export { writeSafetensors } from "./safetensors-write.js";
export { readSafetensorsFile, writeSafetensorsFile } from "./safetensors-file.js";
export { writeFileAtomic } from "./atomic-write.js";
export type { NonFiniteValue } from "./finite-check.js";
export { assertFiniteWeights, firstNonFinite } from "./finite-check.js";
export {
  bfloat16ArrayToFloat32,
  bfloat16BitsToNumber,
  float16ArrayToFloat32,
  float16BitsToNumber,
  numberToFloat16Bits,
} from "./float16.js";
export type { ReadJsonFileOptions } from "./read-json-file.js";
export { readJsonFile, readJsonFileText } from "./read-json-file.js";
export { READ_FILE_MAX_BYTES, readRegularFile } from "./read-regular-file.js";
export type { ModelWeights } from "./model-weights.js";
export { MODEL_WEIGHT_FILES, readModelWeights, readTorchCheckpointFile } from "./model-weights.js";
export type { PickleGlobal, UnpickleOptions } from "./pickle.js";
export { unpickle } from "./pickle.js";
export { describePickled, PICKLE_OPCODE_NAMES, PickleDict, PickleTuple } from "./pickle-values.js";
export type { ReadTorchCheckpointOptions, TorchCheckpointContents } from "./torch-bin.js";
export { readTorchCheckpoint } from "./torch-bin.js";
export type { StorageDType, TorchStorage, TorchTensorRef } from "./torch-tensor.js";
export { materializeTensor, STORAGE_ELEMENT_BYTES } from "./torch-tensor.js";
export type { ReadZipOptions, ZipArchive, ZipEntry } from "./zip.js";
export { looksLikeZip, readZip } from "./zip.js";
