export type { BlobDownload, HubProgress } from "./blob-download.js";
export { downloadBlob, SHA256_ETAG, sha256File } from "./blob-download.js";
export type { DownloadLockOptions } from "./download-lock.js";
export { withDownloadLock } from "./download-lock.js";
export type { DownloadedModel, DownloadModelOptions } from "./download-model.js";
export { downloadModel, HUB_TOKENIZER_FILES, HUB_WEIGHT_FILES } from "./download-model.js";
export { cachedSnapshot, HubRepoCache, repoFolderName } from "./hub-cache.js";
export type { HubErrorCode } from "./hub-errors.js";
export { HubError, redactSecret, safeUrl } from "./hub-errors.js";
export type { HubDownloadOptions, HubFileResult } from "./hub-file.js";
export { checkRepoFilename, hubFile, offlineMiss } from "./hub-file.js";
export type { HubFileMetadata } from "./hub-request.js";
export {
  hubFetch,
  hubFileMetadata,
  hubFileUrl,
  hubHeaders,
  networkError,
  normalizeEtag,
  statusError,
} from "./hub-request.js";
export type { HubSettings } from "./hub-settings.js";
export { HF_DEFAULT_ENDPOINT, resolveHubSettings } from "./hub-settings.js";
export type { HubModelRef } from "./model-ref.js";
export { COMMIT_HASH, formatModelRef, hubReferenceOf, looksLikePath, parseModelRef } from "./model-ref.js";
export type { ResolveModelOptions } from "./resolve-model.js";
export { resolveModel, withNoLocalFolder } from "./resolve-model.js";
