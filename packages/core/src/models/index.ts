export * from "./bert/index.js";
export * from "./multitask/index.js";
export * from "./llama/index.js";
