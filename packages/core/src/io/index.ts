export type {
  BertConfig,
  BertHiddenAct,
  ClassificationProblemType,
} from "./hf-config.js";
export { BERT_HIDDEN_ACTS, bertConfigToJson, parseBertConfig, readBertConfig } from "./hf-config.js";
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
export { bfloat16BitsToNumber, float16BitsToNumber, numberToFloat16Bits } from "./float16.js";
export type { ReadJsonFileOptions } from "./read-json-file.js";
export { readJsonFile, readJsonFileText } from "./read-json-file.js";
export { READ_FILE_MAX_BYTES, readRegularFile } from "./read-regular-file.js";
