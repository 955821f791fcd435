export type { ClassScores } from "./classification.js";
export { accuracy, checkClassIds, confusionMatrix, macroF1, perClassScores } from "./classification.js";
export { averageRanks, pearson, spearman } from "./correlation.js";
export { matthewsCorrelation } from "./matthews.js";
