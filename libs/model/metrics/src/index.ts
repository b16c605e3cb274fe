export { METRICS, METRIC_NAMES, metricInfo, emptyPredictionScore } from './registry';
export type { MetricName, MetricInfo } from './registry';
export { IOU_THRESHOLDS, iou, tgsImageScore, tgsMeanAP } from './tgs-score';
export { diceImageScore } from './dice';
export { labelComponents, f2ImageScore, f2ObjectsImageScore } from './objects';
export { scoreMasks } from './score-masks';
export type { MaskScoreOptions } from './score-masks';
export {
  thresholdStats,
  concatThresholdStats,
  meanScoreFromStats,
  perImageScoresFromStats,
  bestThresholdFromStats,
  allEmptyScoreFromStats,
  rankFinder,
} from './threshold-stats';
export type { ThresholdStats, ObjectStats, StatsOptions, BestThreshold } from './threshold-stats';
export {
  COVERAGE_CLASSES,
  coverageClass,
  coverageClassLabel,
  scoresByCoverage,
  coverageBreakdownFromStats,
  emptyConfusion,
  emptyConfusionFromStats,
} from './breakdown';
export type { CoverageBin, EmptyConfusion } from './breakdown';
export { sigmoid, logit, LOGIT_EPS } from './logit';
