export type { ClassScores } from "./classification.js";
export { accuracy, checkClassIds, confusionMatrix, macroF1, perClassScores } from "./classification.js";
export { averageRanks, pearson, spearman } from "./correlation.js";
export { matthewsCorrelation } from "./matthews.js";
export type { ClassificationReport, ClassReportRow } from "./classification-report.js";
export { classificationReport, reportFromConfusion } from "./classification-report.js";
export type { ConfusionSvgOptions } from "./confusion-svg.js";
export { confusionMatrixSvg } from "./confusion-svg.js";
