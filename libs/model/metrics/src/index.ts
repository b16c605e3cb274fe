export { IOU_THRESHOLDS, iou, tgsImageScore, tgsMeanAP } from './tgs-score';
export {
  thresholdStats,
  meanAPFromStats,
  perImageScoresFromStats,
  bestThresholdFromStats,
  rankFinder,
} from './threshold-stats';
export type { ThresholdStats, BestThreshold } from './threshold-stats';
export {
  COVERAGE_CLASSES,
  coverageClass,
  coverageClassLabel,
  scoresByCoverage,
  coverageBreakdownFromStats,
  emptyConfusionFromStats,
} from './breakdown';
export type { CoverageBin, EmptyConfusion } from './breakdown';
export { sigmoid, logit, LOGIT_EPS } from './logit';
