export type { Strategy, StrategyOptions } from "./strategy.js";
