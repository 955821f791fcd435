export type { TunekitErrorCode } from "./errors.js";
export { isTunekitError, TunekitError } from "./errors.js";
