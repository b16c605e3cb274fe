export type {
  CoverageBin,
  EmptyConfusion,
  EpochRow,
  FoldResult,
  MinAreaPoint,
  ReportInput,
  StageResult,
  SubmissionInfo,
  ThresholdPoint,
  WorstImage,
} from './types';
export type { FoldSummary, Summary } from './summary';
export { buildSummary } from './summary';
export { writeReport, foldCurvesCsv } from './write';
export { renderHtml, renderPictures } from './render';
export { ReportInputError, validateReportInput, consistencyNotes } from './validate';
export { escapeHtml } from './escape';
export { lineChart, barChart } from './svg/plot';
export type { LineChartOptions, BarChartOptions, Series, Marker, RefLine, Bar } from './svg/plot';
export { linearScale, niceDomain, niceTicks, niceStep } from './svg/scale';
export { overlayRgb, maskEdge, pngDataUri, OVERLAY, OVERLAY_SCALE } from './images';
