export type { Backend, CompileOptions, Executable } from "./backend.js";
