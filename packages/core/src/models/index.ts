export * from "./bert/index.js";
